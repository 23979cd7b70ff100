package io.llmstream.it;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two artifacts of {@code mvn package}: what is inside each (runs after packaging, in verify). The job
 * jar's contents are an allow-list, so a new package of the product or a new dependency in the jar that
 * {@code flink run} ships is a change made here on purpose.
 */
class PackagingIT {
    private static final Path JOB_JAR = Path.of("target/llmstream-job.jar");
    private static final Path STANDALONE_JAR = Path.of("target/llmstream.jar");

    /** The product (src/main/java): the packages of llmstream that the job jar holds, no more, no fewer. */
    private static final Set<String> PRODUCT_PACKAGES = Set.of("io/llmstream", "io/llmstream/batch", "io/llmstream/call",
            "io/llmstream/call/backlog", "io/llmstream/call/cache", "io/llmstream/call/embed", "io/llmstream/call/http", "io/llmstream/call/merge",
            "io/llmstream/config", "io/llmstream/job", "io/llmstream/kafka", "io/llmstream/limit",
            "io/llmstream/measure", "io/llmstream/metrics", "io/llmstream/parse", "io/llmstream/record",
            "io/llmstream/route", "io/llmstream/spend");

    /** The tools (src/tools/java and its resources): in llmstream.jar only. */
    private static final List<String> TOOLS = List.of("io/llmstream/cli/", "io/llmstream/local/",
            "io/llmstream/observe/", "io/llmstream/watch/", "llmstream-log4j2.properties");

    /** Everything else the job jar may hold, library by library. */
    private static final List<Library> LIBRARIES = List.of(
            new Library("Flink's Kafka connector", "org/apache/flink/connector/kafka/.*",
                    "org/apache/flink/streaming/connectors/kafka/.*", "org/apache/flink/streaming/util/serialization/.*"),
            new Library("Flink's connector base", "org/apache/flink/connector/base/.*"),
            new Library("commons-lang3, of the Kafka connector", "org/apache/commons/lang3/.*"),
            new Library("Kafka's clients", "org/apache/kafka/.*", "kafka/kafka-version\\.properties",
                    "common/message/.*"),
            new Library("zstd-jni, Kafka's zstd codec", "com/github/luben/zstd/.*",
                    "[a-z]+/[a-z0-9_]+/libzstd-jni-[0-9.-]+\\.(so|dylib|dll)"),
            new Library("lz4-java, Kafka's lz4 codec", "net/jpountz/.*"),
            new Library("snappy-java, Kafka's snappy codec", "org/xerial/snappy/.*"),
            new Library("async-http-client", "org/asynchttpclient/.*"),
            new Library("JetBrains annotations, of async-http-client", "org/jetbrains/annotations/.*",
                    "org/intellij/lang/annotations/.*"),
            new Library("Netty", "io/netty/.*"),
            new Library("Jackson", "com/fasterxml/jackson/.*"),
            new Library("SnakeYAML, of Jackson's YAML", "org/yaml/snakeyaml/.*"),
            new Library("jtokkit", "com/knuddels/jtokkit/.*"),
            new Library("licenses, manifests, services and Maven metadata", "META-INF/.*", "LICENSE", "NOTICE"));

    /** The only Flink packages the job jar may carry: the Kafka connector and the connector base. */
    private static final List<String> ALLOWED_FLINK = List.of(
            "org/apache/flink/connector/kafka/", "org/apache/flink/connector/base/",
            "org/apache/flink/streaming/connectors/kafka/", "org/apache/flink/streaming/util/serialization/");

    private static final Pattern VERSIONED = Pattern.compile("^META-INF/versions/[0-9]+/(?!META-INF/)");

    /** A dependency of the job and the entries it brings into the job jar, as regular expressions. */
    private record Library(String name, List<Pattern> entries) {
        Library(String name, String... entries) {
            this(name, Arrays.stream(entries).map(Pattern::compile).collect(Collectors.toList()));
        }

        boolean holds(String entry) {
            return entries.stream().anyMatch(pattern -> pattern.matcher(entry).matches());
        }
    }

    @Test
    void theJobJarHoldsTheProductAndItsLibrariesOnly() throws Exception {
        List<String> entries = entries(JOB_JAR);
        assertThat(entries).contains("io/llmstream/LlmStreamJob.class", "io/llmstream/job/JobMain.class",
                "org/apache/flink/connector/kafka/source/KafkaSource.class",
                "org/asynchttpclient/DefaultAsyncHttpClient.class");
        assertThat(entries).as("the tools in the job jar").noneMatch(entry -> TOOLS.stream().anyMatch(entry::startsWith));

        Set<String> llmstreamPackages = entries.stream().filter(entry -> entry.startsWith("io/llmstream/"))
                .map(entry -> entry.substring(0, entry.lastIndexOf('/'))).collect(Collectors.toCollection(TreeSet::new));
        assertThat(llmstreamPackages).as("llmstream's packages in the job jar")
                .containsExactlyInAnyOrderElementsOf(PRODUCT_PACKAGES);

        List<String> others = entries.stream().filter(entry -> !entry.startsWith("io/llmstream/"))
                .map(entry -> VERSIONED.matcher(entry).replaceFirst("")).collect(Collectors.toList());
        assertThat(others.stream().filter(entry -> LIBRARIES.stream().noneMatch(library -> library.holds(entry))))
                .as("entries of no library on the allow-list (a new dependency? add it to LIBRARIES)").isEmpty();
        assertThat(LIBRARIES.stream().filter(library -> others.stream().noneMatch(library::holds)).map(Library::name))
                .as("libraries on the allow-list that the job jar no longer holds").isEmpty();
    }

    @Test
    void theJobJarCarriesNoFlinkRuntimeAndNoLogging() throws Exception {
        List<String> entries = entries(JOB_JAR);
        try (JarFile jar = new JarFile(JOB_JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.llmstream.job.JobMain");
        }
        assertThat(entries.stream().filter(name -> name.startsWith("org/apache/flink/"))
                .filter(name -> ALLOWED_FLINK.stream().noneMatch(name::startsWith)))
                .as("Flink classes outside the connectors").isEmpty();
        assertThat(entries).noneMatch(name -> name.startsWith("kafka/server/") || name.startsWith("scala/")
                || name.startsWith("org/apache/logging/log4j/") || name.startsWith("org/slf4j/"));
    }

    /** jdeps, class by class: a product class that uses a tool would fail on the cluster, not at build time. */
    @Test
    void everyLlmstreamClassTheJobJarUsesIsInside() {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = jdeps.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, "--multi-release", "17",
                "-verbose:class", "-include", "io\\.llmstream\\..*", JOB_JAR.toString());
        assertThat(exit).as("jdeps exit code").isZero();
        List<String> dependencies = out.toString(StandardCharsets.UTF_8).lines().filter(line -> line.contains(" -> "))
                .collect(Collectors.toList());
        assertThat(dependencies).as("jdeps' dependencies of the job jar's classes")
                .anyMatch(line -> line.matches("\\s*io\\.llmstream\\.job\\.JobMain\\s+-> io\\.llmstream\\.kafka\\.KafkaJob\\s.*"));
        assertThat(dependencies).as("llmstream classes the job jar uses but does not hold")
                .noneMatch(line -> line.matches(".*-> io\\.llmstream\\.\\S+\\s+not found\\s*"));
    }

    @Test
    void theStandaloneJarCarriesTheProductTheToolsFlinkAndKafka() throws Exception {
        try (JarFile jar = new JarFile(STANDALONE_JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.llmstream.cli.Main");
            for (String name : List.of("io/llmstream/cli/Main.class",
                    "io/llmstream/job/JobMain.class",
                    "io/llmstream/LlmStreamJob.class",
                    "io/llmstream/local/mock/MockLlmServer.class",
                    "io/llmstream/local/kafka/EmbeddedKafkaBroker.class",
                    "io/llmstream/local/demo/DemoRunner.class",
                    "io/llmstream/local/bench/Benchmarks.class",
                    "io/llmstream/observe/HtmlReport.class",
                    "io/llmstream/watch/JobWatcher.class",
                    "org/apache/flink/runtime/minicluster/MiniCluster.class",
                    "org/apache/flink/client/deployment/executors/LocalExecutorFactory.class",
                    "kafka/server/KafkaRaftServer.class",
                    "org/apache/kafka/metadata/storage/Formatter.class",
                    "llmstream-log4j2.properties")) {
                assertThat(jar.getEntry(name)).as(name).isNotNull();
            }
            String executors = new String(jar.getInputStream(jar.getEntry(
                    "META-INF/services/org.apache.flink.core.execution.PipelineExecutorFactory")).readAllBytes(),
                    StandardCharsets.UTF_8);
            assertThat(executors).contains("LocalExecutorFactory");
        }
    }

    /** The files in a jar, without its directories. */
    private static List<String> entries(Path jarFile) throws Exception {
        try (JarFile jar = new JarFile(jarFile.toFile())) {
            return jar.stream().filter(entry -> !entry.isDirectory()).map(JarEntry::getName).collect(Collectors.toList());
        }
    }
}
