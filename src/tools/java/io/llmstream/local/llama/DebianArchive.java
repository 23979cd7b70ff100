package io.llmstream.local.llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Debian mirror this machine's own apt sources name, with the keyring they check it with. A private
 * apt configuration reuses both for Debian unstable, so it reaches the archive the same way the machine
 * does and changes nothing of the machine's setup.
 *
 * @param uri the mirror's base, such as {@code http://mirror.example/debian}
 * @param keyring the {@code Signed-By} file of that source, if it names one
 */
public record DebianArchive(String uri, Optional<Path> keyring) {
    private static final Path SOURCES_LIST = Path.of("/etc/apt/sources.list");
    private static final Path SOURCES_PARTS = Path.of("/etc/apt/sources.list.d");

    /** The first main-archive source of {@code /etc/apt/sources.list}, then of sources.list.d in name order. */
    static Optional<DebianArchive> fromMachine() {
        List<Path> files = new ArrayList<>();
        files.add(SOURCES_LIST);
        if (Files.isDirectory(SOURCES_PARTS)) {
            try (Stream<Path> parts = Files.list(SOURCES_PARTS)) {
                parts.sorted().forEach(files::add);
            } catch (IOException e) {
                // Unreadable parts count as absent; the caller says no mirror was found.
            }
        }
        for (Path file : files) {
            try {
                Optional<DebianArchive> found = Files.isReadable(file)
                        ? parse(file.getFileName().toString(), Files.readString(file)) : Optional.empty();
                if (found.isPresent()) {
                    return found;
                }
            } catch (IOException e) {
                // As above.
            }
        }
        return Optional.empty();
    }

    /** The first main-archive source in one file: deb822 stanzas for {@code *.sources}, one-line entries otherwise. */
    public static Optional<DebianArchive> parse(String fileName, String content) {
        return fileName.endsWith(".sources") ? parseStanzas(content) : parseLines(content);
    }

    /** The line for a private {@code sources.list} that names this mirror's Debian unstable. */
    public String unstableSourceLine() {
        String options = keyring.map(k -> "[signed-by=" + k + "] ").orElse("");
        return "deb " + options + uri + " unstable main";
    }

    private static Optional<DebianArchive> parseLines(String content) {
        for (String raw : content.split("\n")) {
            String line = raw.strip();
            if (!line.startsWith("deb ")) {
                continue;
            }
            Optional<Path> keyring = Optional.empty();
            String rest = line.substring(4).strip();
            if (rest.startsWith("[")) {
                int end = rest.indexOf(']');
                for (String option : rest.substring(1, Math.max(end, 1)).trim().split("\\s+")) {
                    if (option.toLowerCase(Locale.ROOT).startsWith("signed-by=")) {
                        keyring = Optional.of(Path.of(option.substring("signed-by=".length())));
                    }
                }
                rest = rest.substring(end + 1).strip();
            }
            String[] fields = rest.split("\\s+");
            if (fields.length >= 2 && isMainArchive(fields[0], fields[1])) {
                return Optional.of(new DebianArchive(fields[0], keyring));
            }
        }
        return Optional.empty();
    }

    private static Optional<DebianArchive> parseStanzas(String content) {
        for (String stanza : content.split("\n\\s*\n")) {
            String types = field(stanza, "Types");
            String uris = field(stanza, "URIs");
            String suites = field(stanza, "Suites");
            String signedBy = field(stanza, "Signed-By");
            if (!List.of(types.split("\\s+")).contains("deb") || uris.isEmpty() || suites.isEmpty()) {
                continue;
            }
            String uri = uris.split("\\s+")[0];
            if (isMainArchive(uri, suites.split("\\s+")[0])) {
                Optional<Path> keyring = signedBy.startsWith("/") ? Optional.of(Path.of(signedBy.split("\\s+")[0]))
                        : Optional.empty();
                return Optional.of(new DebianArchive(uri, keyring));
            }
        }
        return Optional.empty();
    }

    private static String field(String stanza, String name) {
        for (String line : stanza.split("\n")) {
            if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return "";
    }

    /** Debian's main archive, not its security archive nor a third party's repository. */
    private static boolean isMainArchive(String uri, String suite) {
        String path = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
        return path.endsWith("/debian") && !suite.contains("security");
    }
}
