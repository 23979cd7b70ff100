package io.llmstream.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The two artifacts of {@code mvn package}: what is inside each (runs after packaging, in verify). */
class PackagingIT {
    private static final Path JOB_JAR = Path.of("target/llmstream-job.jar");
    private static final Path STANDALONE_JAR = Path.of("target/llmstream.jar");
    /** The only Flink packages the job jar may carry: the Kafka connector and the connector base. */
    private static final List<String> ALLOWED_FLINK = List.of(
            "org/apache/flink/connector/kafka/", "org/apache/flink/connector/base/",
            "org/apache/flink/streaming/connectors/kafka/", "org/apache/flink/streaming/util/serialization/");

    @Test
    void theJobJarHoldsTheJobAndConnectorsButNoFlinkRuntime() throws Exception {
        try (JarFile jar = new JarFile(JOB_JAR.toFile())) {
            List<String> classes = jar.stream().map(entry -> entry.getName())
                    .filter(name -> name.endsWith(".class")).collect(Collectors.toList());
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.llmstream.cli.JobMain");
            assertThat(classes).contains("io/llmstream/LlmStreamJob.class",
                    "org/apache/flink/connector/kafka/source/KafkaSource.class",
                    "org/asynchttpclient/DefaultAsyncHttpClient.class");
            assertThat(classes.stream().filter(name -> name.startsWith("org/apache/flink/"))
                    .filter(name -> ALLOWED_FLINK.stream().noneMatch(name::startsWith)))
                    .as("Flink classes outside the connectors").isEmpty();
            assertThat(classes).noneMatch(name -> name.startsWith("kafka/server/") || name.startsWith("scala/")
                    || name.startsWith("org/apache/logging/log4j/") || name.startsWith("org/slf4j/"));
        }
    }

    @Test
    void theStandaloneJarCarriesFlinkKafkaAndTheCommands() throws Exception {
        try (JarFile jar = new JarFile(STANDALONE_JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.llmstream.cli.Main");
            for (String name : List.of("io/llmstream/cli/Main.class",
                    "org/apache/flink/runtime/minicluster/MiniCluster.class",
                    "org/apache/flink/client/deployment/executors/LocalExecutorFactory.class",
                    "kafka/server/KafkaRaftServer.class",
                    "org/apache/kafka/metadata/storage/Formatter.class",
                    "llmstream-log4j2.properties")) {
                assertThat(jar.getEntry(name)).as(name).isNotNull();
            }
            String executors = new String(jar.getInputStream(jar.getEntry(
                    "META-INF/services/org.apache.flink.core.execution.PipelineExecutorFactory")).readAllBytes());
            assertThat(executors).contains("LocalExecutorFactory");
        }
    }
}
