package io.llmstream.it.llama;

import io.llmstream.local.llama.DebianArchive;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class DebianArchiveTest {

    @Test
    void takesTheMainArchiveOfDeb822StanzasWithItsKeyring() {
        String sources = """
                Types: deb
                URIs: http://mirror.example/debian-security
                Suites: bookworm-security
                Components: main
                Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

                Types: deb
                URIs: http://mirror.example/debian
                Suites: bookworm bookworm-updates
                Components: main
                Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
                """;

        Path keyring = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");
        assertThat(DebianArchive.parse("debian.sources", sources))
                .contains(new DebianArchive("http://mirror.example/debian", Optional.of(keyring)));
    }

    @Test
    void takesTheMainArchiveOfOneLineEntries() {
        String sources = """
                # deb http://commented.example/debian bookworm main
                deb-src http://mirror.example/debian bookworm main
                deb http://security.example/debian-security bookworm-security main
                deb [arch=amd64 signed-by=/etc/apt/keys/debian.gpg] http://mirror.example/debian/ bookworm main
                """;

        assertThat(DebianArchive.parse("sources.list", sources)).contains(new DebianArchive(
                "http://mirror.example/debian/", Optional.of(Path.of("/etc/apt/keys/debian.gpg"))));
    }

    @Test
    void ignoresOtherProjectsRepositories() {
        assertThat(DebianArchive.parse("nodesource.list", "deb http://repo.example/node_20.x nodistro main"))
                .isEmpty();
        assertThat(DebianArchive.parse("pgdg.sources", "Types: deb\nURIs: http://repo.example/pgdg\nSuites: x\n"))
                .isEmpty();
    }

    @Test
    void namesDebianUnstableOnTheSameMirrorWithTheSameKeyring() {
        assertThat(new DebianArchive("http://mirror.example/debian", Optional.of(Path.of("/k.gpg")))
                .unstableSourceLine()).isEqualTo("deb [signed-by=/k.gpg] http://mirror.example/debian unstable main");
        assertThat(new DebianArchive("http://mirror.example/debian", Optional.empty()).unstableSourceLine())
                .isEqualTo("deb http://mirror.example/debian unstable main");
    }
}
