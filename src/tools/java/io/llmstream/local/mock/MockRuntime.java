package io.llmstream.local.mock;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmstream.config.ModelSettings;
import io.llmstream.measure.TokenEstimator;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Everything the request handlers share for the life of one server: options, counters, limiter,
 * fault and latency draws, slots, directive progress, token estimators, and the Batch API's files and
 * batches. The clock is passed in so the parts that depend on time can be tested without waiting.
 */
final class MockRuntime {

    final MockOptions options;
    final ObjectMapper json = new ObjectMapper();
    final LongSupplier nanoClock;
    final long startNanos;
    final MockCounters counters;
    final MockRateLimiter limiter;
    final MockFaults faults;
    final MockLatency latency;
    final MockSlots slots;
    final MockDirectives directives = new MockDirectives();
    final MockAuth auth;
    /** The Batch API's files and batches; built last, as it answers lines with the parts above. */
    final MockBatches batches;
    private final AtomicLong requestIds = new AtomicLong();
    private final ConcurrentHashMap<String, TokenEstimator> estimators = new ConcurrentHashMap<>();

    MockRuntime(MockOptions options, LongSupplier nanoClock) {
        this.options = options;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
        this.counters = new MockCounters(nanoClock, options.slots());
        this.slots = new MockSlots(options.slots(), counters, nanoClock);
        this.limiter = new MockRateLimiter(options, nanoClock);
        this.faults = new MockFaults(options);
        this.latency = new MockLatency(options);
        this.auth = new MockAuth(options);
        if (!MockOptions.AUTO_ENCODING.equals(options.encoding())) {
            // Loading an encoding and compiling the tokenizer take a moment: do it now, not in the first
            // requests' latency, which would make their rate-limit decisions late.
            TokenEstimator estimator = estimatorFor("");
            String sample = "Warm up the tokenizer with ordinary text, numbers 12345 and punctuation! ".repeat(64);
            for (int i = 0; i < 200; i++) {
                estimator.countText(sample + i);
            }
        }
        this.batches = new MockBatches(this);
    }

    /** A snapshot of the counters, the batches brought up to date first so their counts are those of now. */
    MockStats stats() {
        batches.advanceAll();
        return counters.snapshot();
    }

    String nextRequestId() {
        return String.format("req_mock_%08d", requestIds.incrementAndGet());
    }

    boolean inOutage() {
        return faults.inOutage(nanoClock.getAsLong() - startNanos);
    }

    /** The estimator of a model: the configured encoding, or the model's own one under {@code auto}. */
    TokenEstimator estimatorFor(String model) {
        String encoding = MockOptions.AUTO_ENCODING.equals(options.encoding())
                ? ModelSettings.defaultEncodingFor(model)
                : options.encoding();
        return estimators.computeIfAbsent(encoding, TokenEstimator::forEncoding);
    }

    /** The context window of a model; 0 is unlimited. */
    int contextWindowFor(String model) {
        return options.contextWindows().getOrDefault(model, options.contextWindow());
    }

    /** Whether the model is served: any model when no list is configured. */
    boolean servesModel(String model) {
        return options.models().isEmpty() || options.models().contains(model);
    }

    List<String> listedModels() {
        return options.models().isEmpty() ? MockOptions.DEFAULT_MODELS : options.models();
    }
}
