package io.llmstream.it.llama;

import io.llmstream.local.Ports;
import io.llmstream.local.llama.DebianArchive;
import io.llmstream.local.llama.LlamaServerInstall;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LlamaServerInstallTest {

    @Test
    void findsTheNewestFinishedRootInTheCache(@TempDir Path cache) throws Exception {
        fakeRoot(cache.resolve("1_0.6.0-1"));
        fakeRoot(cache.resolve("1_0.7.0+dfsg-2"));
        fakeRoot(cache.resolve(".download-123"));
        Files.createDirectories(cache.resolve("1_0.9.0-1"));

        LlamaServerInstall install = LlamaServerInstall.cached(cache).orElseThrow();

        assertThat(install.isAvailable()).isTrue();
        assertThat(install.version()).isEqualTo("1_0.7.0+dfsg-2");
        assertThat(install.root()).isEqualTo(cache.resolve("1_0.7.0+dfsg-2/root"));
        assertThat(install.unavailableReason()).isEmpty();
    }

    @Test
    void startsTheServerThroughTheRootsOwnLoaderAndLibraries(@TempDir Path cache) throws Exception {
        Path root = cache.resolve("1_0.7.0+dfsg-2/root");
        fakeRoot(root.getParent());

        ProcessBuilder server = LlamaServerInstall.cached(cache).orElseThrow().serverProcess(List.of("-t", "1"));

        String lib = root + "/usr/lib/x86_64-linux-gnu";
        assertThat(server.command()).containsExactly(lib + "/ld-linux-x86-64.so.2", "--library-path",
                lib + "/llama:" + lib, root + "/usr/bin/llama-server", "-t", "1");
        assertThat(server.environment()).containsEntry("GGML_BACKEND_PATH",
                lib + "/ggml/backends0/libggml-cpu-x64.so");
        assertThat(server.environment().keySet()).noneMatch(name -> name.startsWith("LLAMA_"));
    }

    @Test
    void anUnreachableArchiveIsAOneLineReasonAndLeavesNothingBehind(@TempDir Path cache) throws Exception {
        assumeTrue(onPath("apt-get") && onPath("dpkg-deb"), "apt-get and dpkg-deb are not both on the PATH");
        String closed = "http://" + Ports.LOOPBACK + ":" + Ports.freePort() + "/debian";

        LlamaServerInstall install = LlamaServerInstall.download(cache, new DebianArchive(closed, Optional.empty()),
                Duration.ofMinutes(1));

        assertThat(install.isAvailable()).isFalse();
        assertThat(install.unavailableReason()).startsWith("the Debian archive at " + closed + " is unreachable: ")
                .doesNotContain("\n");
        try (Stream<Path> left = Files.list(cache)) {
            assertThat(left).as("the download's temporary folder is gone").isEmpty();
        }
    }

    @Test
    void aDownloadPastItsTimeLimitIsAReason(@TempDir Path cache) throws Exception {
        assumeTrue(onPath("apt-get") && onPath("dpkg-deb"), "apt-get and dpkg-deb are not both on the PATH");
        String closed = "http://" + Ports.LOOPBACK + ":" + Ports.freePort() + "/debian";

        LlamaServerInstall install = LlamaServerInstall.download(cache, new DebianArchive(closed, Optional.empty()),
                Duration.ofMillis(1));

        assertThat(install.unavailableReason())
                .isEqualTo("downloading llama.cpp-tools took longer than 1 ms, the limit (at apt-get update)");
    }

    private static void fakeRoot(Path versionDir) throws Exception {
        Path server = versionDir.resolve("root/usr/bin/llama-server");
        Files.createDirectories(server.getParent());
        Files.writeString(server, "");
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)));
    }
}
