package io.llmstream.local.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Runs the chosen scenarios one after another and prints a summary table. */
public final class Benchmarks {
    /** The scenario names, for usage texts. */
    public static final String NAMES = BenchScenarios.all(Duration.ofSeconds(1), Duration.ofSeconds(1)).stream()
            .map(BenchScenario::name).collect(Collectors.joining("|")) + "|" + FaultBench.NAME + "|"
            + FaultBench.DEFAULT_NAME + "|" + ThroughputBench.NAME + "|" + ThroughputBench.PARALLEL_NAME + "|"
            + CacheBench.NAME + "|" + MergeBench.NAME + "|" + EmbeddingBench.NAME + "|" + SpeedBench.NAME + "|"
            + SpeedBench.TENANTS_NAME + "|" + LlamaServerBench.NAME + "|" + BatchLaneBench.NAME + "|" + TenantBench.NAME + "|" + BacklogBench.NAME;
    /** How long the capacity scenario measures its steady part. */
    private static final Duration THROUGHPUT_DURATION = Duration.ofSeconds(30);

    private final PrintStream out;

    public Benchmarks(PrintStream out) {
        this.out = out;
    }

    /** Runs {@code which} ("all" or a scenario name); returns the exit code: 0 if every goal was met. */
    public int run(String which, Duration duration, Duration backlogDuration) throws Exception {
        List<BenchScenario> chosen = new ArrayList<>();
        for (BenchScenario scenario : BenchScenarios.all(duration, backlogDuration)) {
            if (which.equals("all") || which.equals(scenario.name())) {
                chosen.add(scenario);
            }
        }
        List<FaultBench.Scenario> faults = new ArrayList<>();
        for (FaultBench.Scenario scenario : List.of(FaultBench.tuned(), FaultBench.defaults())) {
            if (which.equals("all") || which.equals(scenario.name())) {
                faults.add(scenario);
            }
        }
        List<ThroughputBench> throughput = new ArrayList<>();
        if (which.equals("all") || which.equals(ThroughputBench.NAME)) {
            throughput.add(new ThroughputBench(out, THROUGHPUT_DURATION, 256, 1, 0.95));
        }
        if (which.equals("all") || which.equals(ThroughputBench.PARALLEL_NAME)) {
            throughput.add(new ThroughputBench(out, THROUGHPUT_DURATION, 100, 1, 0.9));
            throughput.add(new ThroughputBench(out, THROUGHPUT_DURATION, 100, 2, 0.9));
            throughput.add(new ThroughputBench(out, THROUGHPUT_DURATION, 100, 4, 0.9));
        }
        boolean cache = which.equals("all") || which.equals(CacheBench.NAME);
        boolean merge = which.equals("all") || which.equals(MergeBench.NAME);
        boolean embeddings = which.equals("all") || which.equals(EmbeddingBench.NAME);
        boolean speed = which.equals("all") || which.equals(SpeedBench.NAME);
        boolean speedTenants = which.equals("all") || which.equals(SpeedBench.TENANTS_NAME);
        boolean llama = which.equals("all") || which.equals(LlamaServerBench.NAME);
        boolean batchLane = which.equals("all") || which.equals(BatchLaneBench.NAME);
        boolean tenants = which.equals("all") || which.equals(TenantBench.NAME);
        boolean backlog = which.equals("all") || which.equals(BacklogBench.NAME);
        if (chosen.isEmpty() && faults.isEmpty() && throughput.isEmpty() && !cache && !merge && !embeddings
                && !speed && !speedTenants && !llama && !batchLane && !tenants && !backlog) {
            throw new IllegalArgumentException("unknown scenario '" + which + "'; known: all|" + NAMES);
        }
        List<BenchResult> results = new ArrayList<>();
        for (BenchScenario scenario : chosen) {
            results.add(new BenchRunner(out).run(scenario));
        }
        List<FaultResult> faultResults = new ArrayList<>();
        for (FaultBench.Scenario scenario : faults) {
            faultResults.add(new FaultBench(out, scenario).run());
        }
        List<ThroughputBench.Result> throughputResults = new ArrayList<>();
        for (ThroughputBench bench : throughput) {
            throughputResults.add(bench.run());
        }
        CacheBench.Result cacheResult = cache ? new CacheBench(out).run() : null;
        MergeBench.Result mergeResult = merge ? new MergeBench(out).run() : null;
        EmbeddingBench.Result embeddingResult = embeddings ? new EmbeddingBench(out).run() : null;
        SpeedBench.Result speedResult = speed ? new SpeedBench(out, false).run() : null;
        SpeedBench.Result speedTenantsResult = speedTenants ? new SpeedBench(out, true).run() : null;
        LlamaServerBench.Result llamaResult = llama ? new LlamaServerBench(out).run() : null;
        BatchLaneBench.Result batchLaneResult = batchLane ? new BatchLaneBench(out).run() : null;
        TenantBench.Result tenantResult = tenants ? new TenantBench(out).run() : null;
        BacklogBench.Result backlogResult = backlog ? new BacklogBench(out).run() : null;
        out.printf("%nSummary (%s, %d cores)%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        for (BenchResult result : results) {
            out.printf("  %-14s %s%n                 goal: %s%n", result.scenario().name(), result.verdict(),
                    result.scenario().goal());
        }
        boolean passed = true;
        for (int i = 0; i < faults.size(); i++) {
            out.printf("  %-14s %s%n                 goal: %s%n", faults.get(i).name(), faultResults.get(i).verdict(),
                    faults.get(i).goal());
            passed &= faultResults.get(i).passed();
        }
        for (ThroughputBench.Result result : throughputResults) {
            out.printf("  %-14s %s%n                 goal: %s%n", result.capacity() == 100 ? ThroughputBench.PARALLEL_NAME
                    : ThroughputBench.NAME, result.verdict(), ThroughputBench.goal(result.capacity(),
                    result.parallelism(), result.share()));
            passed &= result.passed();
        }
        if (cacheResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", CacheBench.NAME, cacheResult.verdict(), CacheBench.GOAL);
            passed &= cacheResult.passed();
        }
        if (mergeResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", MergeBench.NAME, mergeResult.verdict(), MergeBench.GOAL);
            passed &= mergeResult.passed();
        }
        if (embeddingResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", EmbeddingBench.NAME, embeddingResult.verdict(),
                    EmbeddingBench.GOAL);
            passed &= embeddingResult.passed();
        }
        if (speedResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", SpeedBench.NAME, speedResult.verdict(), SpeedBench.GOAL);
            passed &= speedResult.passed();
        }
        if (speedTenantsResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", SpeedBench.TENANTS_NAME, speedTenantsResult.verdict(),
                    SpeedBench.TENANTS_GOAL);
            passed &= speedTenantsResult.passed();
        }
        if (llamaResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", LlamaServerBench.NAME, llamaResult.verdict(),
                    LlamaServerBench.GOAL);
            passed &= llamaResult.passed();
        }
        if (batchLaneResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", BatchLaneBench.NAME, batchLaneResult.verdict(),
                    BatchLaneBench.GOAL);
            passed &= batchLaneResult.passed();
        }
        if (tenantResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", TenantBench.NAME, tenantResult.verdict(),
                    TenantBench.GOAL);
            passed &= tenantResult.passed();
        }
        if (backlogResult != null) {
            out.printf("  %-14s %s%n                 goal: %s%n", BacklogBench.NAME, backlogResult.verdict(),
                    BacklogBench.GOAL);
            passed &= backlogResult.passed();
        }
        return passed ? 0 : 1;
    }
}
