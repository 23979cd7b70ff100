package io.llmstream.route;

import io.llmstream.config.RecordsSettings;
import io.llmstream.config.TenantSettings;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.MetricEvent;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.Locale;
import java.util.Set;

/**
 * The route stage: completions go on, dead letters and metric events to side outputs (invalid inputs, which
 * made no call, only to the dead letters). A completion too
 * large for a Kafka record goes to the dead letters as {@code output_too_large}: written, it would fail
 * the sink, and the restarted job would ask again and fail again.
 */
public final class ResultRouter extends ProcessFunction<CallResult, Completion> {
    private static final long serialVersionUID = 1L;

    /** Prompts that could not be completed. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};
    /** One event per finished call. */
    public static final OutputTag<MetricEvent> METRIC_EVENTS = new OutputTag<>("metric-events") {};

    /** Job accumulator: completions written. */
    public static final String COMPLETIONS_COUNTER = "llmstream-completions";
    /** Job accumulator: failed calls written as dead letters, completions too large to write included. */
    public static final String DEAD_LETTERS_COUNTER = "llmstream-failed-calls";
    /** Job accumulator: inputs that were not valid prompts, written as dead letters. */
    public static final String INVALID_COUNTER = "llmstream-invalid-inputs";

    private final int maxRecordBytes;
    /** With records.output: enrich, completions carry their input record to the sink. */
    private final RecordsSettings records;
    private final boolean tenants;
    private final Set<String> listedTenants;
    private transient LongCounter completionsWritten;
    private transient LongCounter deadLettersWritten;
    private transient LongCounter invalidInputs;
    private transient RouteMetrics metrics;

    /** @param maxRecordBytes the largest record the sinks may write: {@code kafka.properties.max.request.size} */
    public ResultRouter(int maxRecordBytes) {
        this(maxRecordBytes, RecordsSettings.prompts());
    }

    /**
     * @param records what the output holds: with {@code output: enrich} each completion carries its input
     *     record and is measured as the enriched record it becomes
     */
    public ResultRouter(int maxRecordBytes, RecordsSettings records) {
        this(maxRecordBytes, records, Set.of());
    }

    /**
     * @param listedTenants the tenants listed under {@code tenants}; when there are any, completions, dead letters
     *     and metric events name theirs, and each listed tenant has its metrics (the others count as "default")
     */
    public ResultRouter(int maxRecordBytes, RecordsSettings records, Set<String> listedTenants) {
        this.maxRecordBytes = maxRecordBytes;
        this.records = records;
        this.tenants = !listedTenants.isEmpty();
        this.listedTenants = Set.copyOf(listedTenants);
    }

    @Override
    public void open(OpenContext openContext) {
        completionsWritten = getRuntimeContext().getLongCounter(COMPLETIONS_COUNTER);
        deadLettersWritten = getRuntimeContext().getLongCounter(DEAD_LETTERS_COUNTER);
        invalidInputs = getRuntimeContext().getLongCounter(INVALID_COUNTER);
        metrics = new RouteMetrics(getRuntimeContext().getMetricGroup(), listedTenants);
    }

    @Override
    public void processElement(CallResult result, Context ctx, Collector<Completion> out) {
        if (result.isInvalidInput()) {
            ctx.output(DEAD_LETTERS, result.deadLetter());
            invalidInputs.add(1);
            return;
        }
        MetricEvent metric = result.metric();
        Completion completion = result.completion();
        DeadLetter deadLetter = result.deadLetter();
        if (tenants) {
            String tenant = result.request().tenant() == null ? TenantSettings.DEFAULT : result.request().tenant();
            completion = completion == null ? null : completion.ofTenant(tenant);
            deadLetter = deadLetter == null ? null : deadLetter.ofTenant(tenant);
            metric = metric.ofTenant(tenant);
        }
        if (completion != null && records.enriches()) {
            completion = completion.withInput(result.request().input());
        }
        long outputBytes = completion == null ? 0 : CompletionSize.excess(completion, records, maxRecordBytes);
        if (completion != null && outputBytes == 0) {
            out.collect(completion);
            completionsWritten.add(1);
        } else if (completion != null) {
            ctx.output(DEAD_LETTERS, DeadLetter.outputTooLarge(result.request(), completion, metric.keyId(),
                    outputBytes, tooLargeMessage(outputBytes)).ofTenant(completion.tenant()));
            deadLettersWritten.add(1);
            metric = metric.failedAs(ErrorKind.OUTPUT_TOO_LARGE);
        } else {
            ctx.output(DEAD_LETTERS, deadLetter);
            deadLettersWritten.add(1);
        }
        ctx.output(METRIC_EVENTS, metric);
        metrics.record(metric);
    }

    private String tooLargeMessage(long outputBytes) {
        return String.format(Locale.ROOT, (records.enriches() ? "the enriched record" : "the completion")
                + " is %,d bytes, more than the %,d bytes a record may have "
                + "(kafka.properties.max.request.size)", outputBytes, maxRecordBytes);
    }
}
