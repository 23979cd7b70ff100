package io.llmstream.local.mock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MockOptionsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        MockOptions options = MockOptions.parseArgs(List.of());

        assertThat(options).isEqualTo(MockOptions.builder().build());
        assertThat(options.host()).isEqualTo("127.0.0.1");
        assertThat(options.port()).isEqualTo(8089);
        assertThat(options.models()).isEmpty();
        assertThat(options.apiKeys()).isEmpty();
        assertThat(options.latencyMs()).isZero();
        assertThat(options.latencySigma()).isEqualTo(0.3);
        assertThat(options.encoding()).isEqualTo("o200k_base");
        assertThat(options.rpm()).isZero();
        assertThat(options.tpm()).isZero();
        assertThat(options.limitWindow()).isEqualTo(Duration.ofSeconds(1));
        assertThat(options.embeddingDims()).isEqualTo(16);
        assertThat(options.outageDuration()).isZero();
        assertThat(options.limitHeaders()).isTrue();
        assertThat(options.hangFor()).isZero();
        assertThat(options.stream()).isEqualTo(MockOptions.StreamMode.SSE);
        assertThat(options.helpRequested()).isFalse();
        assertThat(options.slots()).isZero();
        assertThat(options.batch()).isEqualTo(new MockOptions.BatchOptions(Duration.ofSeconds(2), 0, 0, 0));
        assertThat(options.batch().stepTime()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void parsesEveryFlag() {
        MockOptions options = MockOptions.parseArgs(List.of(
                "--host", "0.0.0.0", "--port=0", "--models", "gpt-4o, gpt-4o-mini", "--api-keys", "k1,k2",
                "--revoked-keys", "k3", "--seed", "7", "--latency-ms", "50", "--latency-sigma", "0.5",
                "--ms-per-token", "1.5", "--encoding", "cl100k_base", "--rpm", "600", "--tpm", "30000",
                "--limit", "k1@gpt-4o=500/30000", "--limit=*@gpt-4o-mini=5000/200000", "--limit-window", "500ms",
                "--context-window", "16000", "--context-window", "gpt-4o=8000", "--embedding-dims", "8",
                "--error-rate", "0.1", "--reset-rate", "0.05", "--hang-rate", "0.01", "--malformed-rate", "0.02",
                "--outage-start", "30s", "--outage-duration", "1.5s", "--no-limit-headers", "--hang-for", "60s",
                "--stream", "ignore", "--slots", "4", "--batch-seconds", "0.25", "--batch-expire-share", "0.5",
                "--batch-enqueued-tokens", "90000", "--batch-rpm=30"));

        assertThat(options.host()).isEqualTo("0.0.0.0");
        assertThat(options.port()).isZero();
        assertThat(options.models()).containsExactly("gpt-4o", "gpt-4o-mini");
        assertThat(options.apiKeys()).containsExactlyInAnyOrder("k1", "k2");
        assertThat(options.revokedKeys()).containsExactly("k3");
        assertThat(options.seed()).isEqualTo(7);
        assertThat(options.latencyMs()).isEqualTo(50);
        assertThat(options.latencySigma()).isEqualTo(0.5);
        assertThat(options.msPerToken()).isEqualTo(1.5);
        assertThat(options.encoding()).isEqualTo("cl100k_base");
        assertThat(options.rpm()).isEqualTo(600);
        assertThat(options.tpm()).isEqualTo(30000);
        assertThat(options.limits()).containsExactly(
                new MockOptions.RateLimit("k1", "gpt-4o", 500, 30000),
                new MockOptions.RateLimit("*", "gpt-4o-mini", 5000, 200000));
        assertThat(options.limitWindow()).isEqualTo(Duration.ofMillis(500));
        assertThat(options.contextWindow()).isEqualTo(16000);
        assertThat(options.contextWindows()).isEqualTo(Map.of("gpt-4o", 8000));
        assertThat(options.embeddingDims()).isEqualTo(8);
        assertThat(options.errorRate()).isEqualTo(0.1);
        assertThat(options.resetRate()).isEqualTo(0.05);
        assertThat(options.hangRate()).isEqualTo(0.01);
        assertThat(options.malformedRate()).isEqualTo(0.02);
        assertThat(options.outageStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(options.outageDuration()).isEqualTo(Duration.ofMillis(1500));
        assertThat(options.limitHeaders()).isFalse();
        assertThat(options.hangFor()).isEqualTo(Duration.ofSeconds(60));
        assertThat(options.stream()).isEqualTo(MockOptions.StreamMode.IGNORE);
        assertThat(options.slots()).isEqualTo(4);
        assertThat(options.batch()).isEqualTo(new MockOptions.BatchOptions(Duration.ofMillis(250), 0.5, 90000, 30));
        assertThat(MockOptions.parseArgs(List.of("--stream=reject")).stream()).isEqualTo(MockOptions.StreamMode.REJECT);
        assertThat(MockOptions.parseArgs(List.of("--stream", "sse")).stream()).isEqualTo(MockOptions.StreamMode.SSE);
        assertThat(MockOptions.parseArgs(List.of("--stream", "sse-at-first-token")).stream())
                .isEqualTo(MockOptions.StreamMode.SSE_AT_FIRST_TOKEN);
    }

    @Test
    void helpIsAFlagNotAnError() {
        assertThat(MockOptions.parseArgs(List.of("--help")).helpRequested()).isTrue();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "--rpm abc                       | --rpm must be a non-negative integer, was 'abc'",
        "--rpm -5                        | --rpm must be a non-negative integer, was '-5'",
        "--tpm 1.5                       | --tpm must be a non-negative integer, was '1.5'",
        "--port 70000                    | --port must be an integer between 0 and 65535, was '70000'",
        "--seed x                        | --seed must be an integer, was 'x'",
        "--latency-ms fast               | --latency-ms must be a non-negative integer, was 'fast'",
        "--latency-sigma -1              | --latency-sigma must be a non-negative number, was '-1'",
        "--ms-per-token NaN              | --ms-per-token must be a non-negative number, was 'NaN'",
        "--error-rate 1.5                | --error-rate must be a number between 0 and 1, was '1.5'",
        "--hang-rate often               | --hang-rate must be a number between 0 and 1, was 'often'",
        "--outage-start 30               | --outage-start must be a duration like 500ms, 2s or 1m, was '30'",
        "--limit-window 1d               | --limit-window must be a duration like 500ms, 2s or 1m, was '1d'",
        "--hang-for forever              | --hang-for must be a duration like 500ms, 2s or 1m, was 'forever'",
        "--stream yes                    | --stream must be sse, sse-at-first-token, ignore or reject, was 'yes'",
        "--stream SSE                    | --stream must be sse, sse-at-first-token, ignore or reject, was 'SSE'",
        "--limit-window 2m               | --limit-window must be between 1ms and 1m, was 2m0s",
        "--limit-window 0s               | --limit-window must be between 1ms and 1m, was 0s",
        "--context-window big            | --context-window must be N or MODEL=N with N a non-negative integer, was 'big'",
        "--context-window gpt-4o=0       | --context-window for gpt-4o must be a positive integer, was 0",
        "--embedding-dims 0              | --embedding-dims must be an integer between 1 and 4096, was '0'",
        "--slots -1                      | --slots must be a non-negative integer, was '-1'",
        "--slots many                    | --slots must be a non-negative integer, was 'many'",
        "--batch-seconds 0               | --batch-seconds must be a positive number of seconds, was '0'",
        "--batch-seconds 2s              | --batch-seconds must be a positive number of seconds, was '2s'",
        "--batch-seconds 86401           | --batch-seconds must be more than 0 and at most 86400, was 86401.0",
        "--batch-expire-share 2          | --batch-expire-share must be a number between 0 and 1, was '2'",
        "--batch-enqueued-tokens -1      | --batch-enqueued-tokens must be a non-negative integer, was '-1'",
        "--batch-rpm lots                | --batch-rpm must be a non-negative integer, was 'lots'",
        "--encoding klingon              | --encoding must be auto or one of r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, was 'klingon'",
        "--models ,                      | --models must be a comma-separated list without empty items",
        "--nope 1                        | unknown flag '--nope'; run with --help to list the flags",
        "stray                           | unexpected argument 'stray'; flags start with --",
        "--rpm                           | --rpm needs a value (N)",
        "--help=yes                      | --help takes no value",
        "--limit *@gpt-4o=1/x            | --limit must look like KEY@MODEL=RPM/TPM (KEY may be *), was '*@gpt-4o=1/x'",
        "--limit 5000                    | --limit must look like KEY@MODEL=RPM/TPM (KEY may be *), was a value without '@'",
        "--models gpt-4o --limit *@gpt-5=1/1 | --limit names model 'gpt-5', which is not in --models [gpt-4o]",
        "--error-rate 0.6 --reset-rate 0.6 | --error-rate, --reset-rate, --hang-rate and --malformed-rate must add up to at most 1, were 1.2",
    })
    void rejectsBadFlagsWithExactMessages(String args, String message) {
        List<String> argv = Arrays.asList(args.trim().split("\\s+"));

        assertThatThrownBy(() -> MockOptions.parseArgs(argv))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void limitErrorsShowTheKeyFingerprintNeverTheKey() {
        String secret = "sk-live-secret";

        assertThatThrownBy(() -> MockOptions.parseArgs(List.of("--limit", secret + "@gpt-4o=abc")))
                .hasMessage("--limit must look like KEY@MODEL=RPM/TPM (KEY may be *), was '"
                        + MockLlmServer.keyFingerprint(secret) + "@gpt-4o=abc'")
                .message().doesNotContain(secret);
        MockOptions options = MockOptions.builder().apiKeys(Set.of(secret)).limit(secret, "gpt-4o", 1, 2).build();
        assertThat(options.toString()).doesNotContain(secret).contains(MockLlmServer.keyFingerprint(secret));
    }

    @Test
    void builderValidatesLikeTheFlags() {
        assertThatThrownBy(() -> MockOptions.builder().rpm(-1).build())
                .hasMessage("--rpm must be a non-negative integer, was -1");
        assertThatThrownBy(() -> MockOptions.builder().errorRate(2).build())
                .hasMessage("--error-rate must be between 0 and 1, was 2.0");
        assertThatThrownBy(() -> MockOptions.builder().outageStart(Duration.ofSeconds(-1)).build())
                .hasMessage("--outage-start must be >= 0, was -1s");
        assertThatThrownBy(() -> MockOptions.builder().port(-1).build())
                .hasMessage("--port must be between 0 and 65535, was -1");
        assertThatThrownBy(() -> MockOptions.builder().hangFor(Duration.ofSeconds(-2)).build())
                .hasMessage("--hang-for must be >= 0, was -2s");
        assertThatThrownBy(() -> MockOptions.builder().stream(null).build())
                .hasMessage("--stream must be sse, sse-at-first-token, ignore or reject, was null");
        assertThatThrownBy(() -> MockOptions.builder().batchInProgress(Duration.ZERO).build())
                .hasMessage("--batch-seconds must be more than 0 and at most 86400, was 0.0");
        assertThatThrownBy(() -> MockOptions.builder().batchExpireShare(-0.1).build())
                .hasMessage("--batch-expire-share must be between 0 and 1, was -0.1");
        assertThatThrownBy(() -> MockOptions.builder().batchRpm(-3).build())
                .hasMessage("--batch-rpm must be a non-negative integer, was -3");
        assertThatThrownBy(() -> MockOptions.builder().slots(-1).build())
                .hasMessage("--slots must be a non-negative integer, was -1");
    }

    @Test
    void readsDurationsInMillisSecondsMinutesAndHours() {
        assertThat(MockFlags.duration("--x", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(MockFlags.duration("--x", "2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(MockFlags.duration("--x", "1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(MockFlags.duration("--x", "1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(MockFlags.duration("--x", "1h")).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void usageListsEveryFlagWithItsDefault() {
        String usage = MockOptions.usage();

        for (String flag : List.of("--host", "--port", "--models", "--api-keys", "--revoked-keys", "--seed",
                "--latency-ms", "--latency-sigma", "--ms-per-token", "--encoding", "--rpm", "--tpm", "--limit ",
                "--limit-window", "--context-window", "--embedding-dims", "--error-rate", "--reset-rate",
                "--hang-rate", "--hang-for", "--malformed-rate", "--outage-start", "--outage-duration", "--stream",
                "--no-limit-headers", "--merge-drop-rate", "--slots", "--batch-seconds", "--batch-expire-share",
                "--batch-enqueued-tokens", "--batch-rpm", "--help")) {
            assertThat(usage).contains("  " + flag);
        }
        assertThat(usage.lines().filter(line -> line.startsWith("  --")))
                .hasSize(32)
                .allSatisfy(line -> assertThat(line.contains("(default: ") || line.startsWith("  --help")).isTrue());
        assertThat(usage).contains("(default: 127.0.0.1)", "(default: 8089)", "(default: 1s)", "(default: 0.3)",
                "(default: o200k_base)", "(default: 16)", "(default: sse)", "(default: 0s, forever)");
    }
}
