package io.llmstream.local.kafka;

import io.llmstream.local.kafka.EmbeddedKafkaBroker.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddedKafkaBrokerOptionsTest {

    @Test
    void defaultsPickAFreePortATemporaryDirectoryAndOnePartition() {
        Options options = Options.defaults();
        assertThat(options.port()).isZero();
        assertThat(options.directory()).isNull();
        assertThat(options.defaultPartitions()).isEqualTo(1);
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
