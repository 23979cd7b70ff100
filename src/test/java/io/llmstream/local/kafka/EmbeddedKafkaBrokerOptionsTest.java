package io.llmstream.local.kafka;

import io.llmstream.local.kafka.EmbeddedKafkaBroker.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddedKafkaBrokerOptionsTest {

    @Test
    void defaultsPickAFreePortATemporaryDirectoryAndOnePartition() {
        Options options = Options.defaults();
        assertThat(options.port()).isZero();
        assertThat(options.directory()).isNull();
        assertThat(options.defaultPartitions()).isEqualTo(1);
        assertThat(options.serverProperties()).isEmpty();
        assertThat(options.clientProperties()).isEmpty();
    }

    @Test
    void serverAndClientPropertiesAccumulateAndTheLastValueWins() {
        Options options = Options.defaults()
                .withServerProperty("transaction.max.timeout.ms", "1000")
                .withServerProperty("transaction.max.timeout.ms", "60000")
                .withServerProperty("auto.create.topics.enable", "false")
                .withClientProperty("sasl.jaas.config", "secret");
        assertThat(options.serverProperties()).containsExactly(
                Map.entry("auto.create.topics.enable", "false"), Map.entry("transaction.max.timeout.ms", "60000"));
        assertThat(options.clientProperties()).containsExactly(Map.entry("sasl.jaas.config", "secret"));
        assertThat(options.withPort(1).serverProperties()).isEqualTo(options.serverProperties());
        assertThat(Options.defaults().serverProperties()).isEmpty();
        assertThat(options.toString()).doesNotContain("secret").contains("clientProperties=[sasl.jaas.config]");
    }

    @Test
    void serverPropertiesCannotMoveTheNodeOrItsData() {
        assertThatThrownBy(() -> Options.defaults().withServerProperty("listeners", "PLAINTEXT://0.0.0.0:9092"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server property 'listeners' cannot be set: the embedded broker listens on loopback at "
                        + "the port of withPort");
        assertThatThrownBy(() -> Options.defaults().withServerProperty("num.partitions", "3"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server property 'num.partitions' cannot be set: use withDefaultPartitions");
        assertThatThrownBy(() -> Options.defaults().withServerProperty(" ", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server property key must not be blank, was ' '");
        assertThatThrownBy(() -> Options.defaults().withClientProperty("security.protocol", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("client property 'security.protocol' needs a value, was null");
    }

    @Test
    void withersReturnChangedCopies() {
        Options defaults = Options.defaults();
        Options changed = defaults.withPort(9092).withDirectory(Path.of("data")).withDefaultPartitions(4);
        assertThat(changed.port()).isEqualTo(9092);
        assertThat(changed.directory()).isEqualTo(Path.of("data"));
        assertThat(changed.defaultPartitions()).isEqualTo(4);
        assertThat(defaults.port()).isZero();
    }

    @Test
    void rejectsPortsOutOfRange() {
        assertThatThrownBy(() -> Options.defaults().withPort(70000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be between 0 and 65535, was 70000");
        assertThatThrownBy(() -> Options.defaults().withPort(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be between 0 and 65535, was -1");
    }

    @Test
    void rejectsFewerThanOneDefaultPartition() {
        assertThatThrownBy(() -> Options.defaults().withDefaultPartitions(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("defaultPartitions must be at least 1, was 0");
    }

    @Test
    void rejectsADirectoryThatIsAFile(@TempDir Path dir) throws Exception {
        Path file = Files.createFile(dir.resolve("not-a-directory"));
        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(Options.defaults().withDirectory(file)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("directory must be a directory, was a file: " + file);
    }

    @Test
    void rejectsMissingOptions() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("options must not be null; use Options.defaults()");
    }
}
