package io.llmstream.it.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlinkDistributionTest {

    @Test
    void recognisesAnArtifactByItsRepositoryPathNotItsClassifiedJars() {
        Path repository = Path.of("/home/u/.m2/repository");
        Path runtime = repository.resolve("org/apache/flink/flink-runtime/2.2.1/flink-runtime-2.2.1.jar");
        Path runtimeTests = repository.resolve("org/apache/flink/flink-runtime/2.2.1/flink-runtime-2.2.1-tests.jar");
        Path lang3 = repository.resolve("org/apache/commons/commons-lang3/3.18.0/commons-lang3-3.18.0.jar");

        assertThat(FlinkDistribution.isArtifact(runtime, "org.apache.flink:flink-runtime")).isTrue();
        assertThat(FlinkDistribution.isArtifact(runtimeTests, "org.apache.flink:flink-runtime")).isFalse();
        assertThat(FlinkDistribution.isArtifact(runtime, "org.apache.flink:flink-core")).isFalse();
        assertThat(FlinkDistribution.isArtifact(lang3, "org.apache.commons:commons-lang3")).isTrue();
        assertThat(FlinkDistribution.isArtifact(lang3, "commons-lang:commons-lang3")).isFalse();
    }

    @Test
    void takesOnlyTheDistributionsJarsAndThePluginFromAClassPath(@TempDir Path repository) throws IOException {
        List<String> classPath = new ArrayList<>();
        for (String coordinates : FlinkDistribution.LIB) {
            classPath.add(jar(repository, coordinates, "1.0").toString());
        }
        Path kafka = jar(repository, "org.apache.kafka:kafka-clients", "4.2.0");
        Path reporter = jar(repository, FlinkDistribution.PROMETHEUS_REPORTER, "2.2.1");
        classPath.add(kafka.toString());
        classPath.add(reporter.toString());
        classPath.add(repository.resolve("target/classes").toString());

        FlinkDistribution distribution = FlinkDistribution.fromClassPath(String.join(File.pathSeparator, classPath));

        assertThat(distribution.lib()).hasSize(FlinkDistribution.LIB.size()).doesNotContain(kafka, reporter);
        assertThat(distribution.prometheusReporter()).contains(reporter);
    }

    @Test
    void namesTheJarsAClassPathLacks(@TempDir Path repository) throws IOException {
        Path runtime = jar(repository, "org.apache.flink:flink-runtime", "2.2.1");

        assertThatThrownBy(() -> FlinkDistribution.fromClassPath(runtime.toString()))
                .hasMessageContaining("org.apache.flink:flink-core,")
                .hasMessageNotContaining("org.apache.flink:flink-runtime,");
    }

    private static Path jar(Path repository, String coordinates, String version) throws IOException {
        String[] parts = coordinates.split(":");
        Path jar = repository.resolve(parts[0].replace('.', '/')).resolve(parts[1]).resolve(version)
                .resolve(parts[1] + "-" + version + ".jar");
        Files.createDirectories(jar.getParent());
        return Files.write(jar, new byte[0]);
    }
}
