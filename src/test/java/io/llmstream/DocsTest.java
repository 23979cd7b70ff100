package io.llmstream;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.LlmStreamConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The README is a landing page, its links and the docs' links lead somewhere, and its configuration loads. */
class DocsTest {
    private static final Path README = Path.of("README.md");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6} (.+)$", Pattern.MULTILINE);

    @Test
    void theReadmeReadsInFiveMinutes() throws IOException {
        assertThat(Files.readAllLines(README)).as("lines of README.md").hasSizeLessThanOrEqualTo(250);
    }

    @Test
    void everyLinkOfTheReadmeAndTheDocsLeadsToAFileAndHeadingThatExist() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path doc : documents()) {
            Matcher link = LINK.matcher(Files.readString(doc, StandardCharsets.UTF_8));
            while (link.find()) {
                String target = link.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue;
                }
                int hash = target.indexOf('#');
                Path file = hash == 0 ? doc : doc.resolveSibling(hash < 0 ? target : target.substring(0, hash))
                        .normalize();
                if (!Files.exists(file)) {
                    broken.add(doc + ": " + target + " (no such file)");
                } else if (hash >= 0 && !anchorsOf(file).contains(target.substring(hash + 1))) {
                    broken.add(doc + ": " + target + " (no such heading in " + file + ")");
                }
            }
        }
        assertThat(broken).isEmpty();
    }

    @Test
    void theSmallestConfigurationOfTheReadmeLoadsOverTheShippedFile() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int intro = readme.indexOf("The smallest real configuration");
        int start = readme.indexOf("```yaml\n", intro) + "```yaml\n".length();
        String yaml = readme.substring(start, readme.indexOf("```", start));

        LlmStreamConfig config = new ConfigLoader(Map.of("OPENAI_API_KEY", "sk-test")::get)
                .loadYaml(Files.readString(Path.of("conf/llmstream.yaml"), StandardCharsets.UTF_8), yaml);

        assertThat(config.kafka().bootstrapServers()).isEqualTo("broker-1:9092,broker-2:9092");
        assertThat(config.model("gpt-4o-mini").rpm()).isEqualTo(5000);
    }

    @Test
    void everyKeyTheReadmeAndTheDocsNameExists() throws IOException {
        String configuration = Files.readString(Path.of("docs/configuration.md"), StandardCharsets.UTF_8);
        Set<String> keys = new HashSet<>();
        Set<String> sections = new HashSet<>();
        Matcher row = Pattern.compile("^\\| `([^`]+)`", Pattern.MULTILINE)
                .matcher(configuration.substring(configuration.indexOf("<!-- reference")));
        while (row.find()) {
            String key = placeholders(row.group(1)).replace("[]", "");
            keys.add(key);
            for (int dot = key.indexOf('.'); dot > 0; dot = key.indexOf('.', dot + 1)) {
                sections.add(key.substring(0, dot));
            }
        }
        Pattern named = Pattern.compile("`((?:kafka|endpoints|models|call|http|metrics|job|records|default-model)"
                + "(?:\\.[^`\\s:=({*]+)?)[`\\s:=(]");
        List<String> unknown = new ArrayList<>();
        for (Path doc : documents()) {
            Matcher key = named.matcher(Files.readString(doc, StandardCharsets.UTF_8));
            while (key.find()) {
                String name = placeholders(key.group(1)).replaceAll("^(models|endpoints)\\.(?!<name>)[^.]+", "$1.<name>")
                        .replaceAll("\\[\\d*\\]", "");
                boolean inAMap = MAP_KEYS.stream().anyMatch(map -> name.startsWith(map + "."));
                if (!keys.contains(name) && !sections.contains(name) && !inAMap) {
                    unknown.add(doc + ": " + key.group(1));
                }
            }
        }
        assertThat(unknown).as("keys named in the docs that the configuration reference does not have").isEmpty();
    }

    @Test
    void everyTestAndBenchmarkTheDocsNameExists() throws IOException {
        Set<String> classes = new HashSet<>();
        try (Stream<Path> files = Files.walk(Path.of("src"))) {
            files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".java"))
                    .forEach(name -> classes.add(name.substring(0, name.length() - ".java".length())));
        }
        Pattern named = Pattern.compile("\\b[A-Z][A-Za-z]+(?:Test|IT|Benchmark)\\b");
        List<String> missing = new ArrayList<>();
        for (Path doc : documents()) {
            Matcher name = named.matcher(Files.readString(doc, StandardCharsets.UTF_8));
            while (name.find()) {
                if (!classes.contains(name.group())) {
                    missing.add(doc + ": " + name.group());
                }
            }
        }
        assertThat(missing).as("tests and benchmarks the docs describe that are not in src/").isEmpty();
    }

    /** Keys whose value is a map of free names (Kafka's client properties, HTTP headers, query parameters). */
    private static final List<String> MAP_KEYS = List.of("kafka.properties", "endpoints.<name>.headers",
            "endpoints.<name>.query");

    private static String placeholders(String key) {
        return key.replaceAll("<[^>]+>", "<name>");
    }

    private static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(README));
        try (Stream<Path> files = Files.list(Path.of("docs"))) {
            files.filter(file -> file.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    /** GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces as hyphens. */
    private static Set<String> anchorsOf(Path file) throws IOException {
        Set<String> anchors = new HashSet<>();
        if (!file.toString().endsWith(".md")) {
            return anchors;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).replaceAll("(?s)```.*?```", "");
        Matcher heading = HEADING.matcher(text);
        while (heading.find()) {
            anchors.add(heading.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}_\\- ]", "")
                    .replace(' ', '-'));
        }
        return anchors;
    }
}
