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
            .map(BenchScenario::name).collect(Collectors.joining("|")) + "|" + FaultBench.NAME;

    private final PrintStream out;

    public Benchmarks(PrintStream out) {
        this.out = out;
    }

    /** Runs {@code which} ("all" or a scenario name); returns the exit code. */
    public int run(String which, Duration duration, Duration backlogDuration) throws Exception {
        List<BenchScenario> chosen = new ArrayList<>();
        for (BenchScenario scenario : BenchScenarios.all(duration, backlogDuration)) {
            if (which.equals("all") || which.equals(scenario.name())) {
                chosen.add(scenario);
            }
        }
        boolean faults = which.equals("all") || which.equals(FaultBench.NAME);
        if (chosen.isEmpty() && !faults) {
            throw new IllegalArgumentException("unknown scenario '" + which + "'; known: all|" + NAMES);
        }
        List<BenchResult> results = new ArrayList<>();
        for (BenchScenario scenario : chosen) {
            results.add(new BenchRunner(out).run(scenario));
        }
        FaultResult faultResult = faults ? new FaultBench(out).run() : null;
        out.printf("%nSummary (%s, %d cores)%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        for (BenchResult result : results) {
            out.printf("  %-11s %s%n               goal: %s%n", result.scenario().name(), result.verdict(),
                    result.scenario().goal());
        }
        if (faultResult != null) {
            out.printf("  %-11s %s%n               goal: %s%n", FaultBench.NAME, faultResult.verdict(), FaultBench.GOAL);
        }
        return faultResult == null || faultResult.passed() ? 0 : 1;
    }
}
