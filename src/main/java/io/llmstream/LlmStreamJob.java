package io.llmstream;

import io.llmstream.batch.BatchLaneOperator;
import io.llmstream.batch.LaneSplit;
import io.llmstream.call.CallStageOperatorFactory;
import io.llmstream.call.ChatCompletionFunction;
import io.llmstream.call.CoordinatedCallStageOperatorFactory;
import io.llmstream.call.Overflow;
import io.llmstream.call.backlog.BacklogReader;
import io.llmstream.call.backlog.TenantBacklog;
import io.llmstream.config.CallSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.config.RestartSettings;
import io.llmstream.limit.ShardKeys;
import io.llmstream.metrics.UsageFunction;
import io.llmstream.metrics.WallClockWatermarks;
import io.llmstream.metrics.WindowAggregate;
import io.llmstream.metrics.WindowMetricsFunction;
import io.llmstream.parse.ParseFunction;
import io.llmstream.record.CallResult;
import io.llmstream.record.Completion;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.InputRecord;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.UsageRecord;
import io.llmstream.record.WindowMetrics;
import io.llmstream.spend.Nanos;
import io.llmstream.route.ResultRouter;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds the pipeline: source (parsing as it reads) → keyBy(budget shard) → async call (each shard's requests
 * reach the one instance that holds and checkpoints its budget) → route → sinks, with invalid input and
 * failed calls to the dead-letter sink and per-model windows to the metrics sink.
 * It takes its source and sinks, so tests wire in their own and {@link io.llmstream.job.JobMain}
 * wires Kafka. Every operator has a name and a stable uid, so savepoints survive upgrades.
 */
public final class LlmStreamJob {
    /** How far the metrics watermark trails the wall clock, covering the shuffle to the window operator. */
    static final Duration METRICS_WATERMARK_LAG = Duration.ofSeconds(1);

    private final LlmStreamConfig config;

    public LlmStreamJob(LlmStreamConfig config) {
        this.config = config;
    }

    /** The sinks of the job: three, and the usage ledger's (null when none). */
    public record Sinks(Sink<Completion> completions, Sink<DeadLetter> deadLetters, Sink<WindowMetrics> metrics,
                        Sink<UsageRecord> usage) {

        /** The three sinks, without a usage ledger. */
        public Sinks(Sink<Completion> completions, Sink<DeadLetter> deadLetters, Sink<WindowMetrics> metrics) {
            this(completions, deadLetters, metrics, null);
        }
    }

    /** Applies the job's settings to an environment: parallelism, checkpoints, serialization. */
    public void configure(StreamExecutionEnvironment env) {
        Configuration settings = new Configuration();
        settings.set(PipelineOptions.GENERIC_TYPES, false);
        settings.set(PipelineOptions.OBJECT_REUSE, true);
        restartStrategy(config.job().restart(), settings);
        env.configure(settings);
        env.setParallelism(config.job().parallelism());
        env.setMaxParallelism(config.job().maxParallelism());
        env.enableCheckpointing(config.job().checkpointInterval().toMillis());
        env.getCheckpointConfig().setCheckpointTimeout(config.job().checkpointTimeout().toMillis());
        if (config.job().bounded()) {
            // A bounded job's tail completes no checkpoint: once a source instance has read to its end it sends no
            // barrier, and its end-of-input waits in the exchange behind the prompts that wait for budget (up to a
            // day at a spent daily limit); at its very end it waits for its batch lanes, up to the batches' window.
            // Their expiry must not fail the job.
            env.getCheckpointConfig().setTolerableCheckpointFailureNumber(Integer.MAX_VALUE);
        }
        if (config.job().unalignedCheckpoints()) {
            // Prompts wait for budget in the network buffers in front of the call stage; aligned barriers would
            // wait behind them for as long as the limit takes to let them through.
            env.getCheckpointConfig().enableUnalignedCheckpoints();
            env.getCheckpointConfig().setAlignedCheckpointTimeout(config.job().alignedCheckpointTimeout());
        }
    }

    /** Sets Flink's restart strategy from {@code job.restart}; see {@link RestartSettings}. */
    static void restartStrategy(RestartSettings restart, Configuration settings) {
        switch (restart.strategy()) {
            case NONE:
                settings.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
                break;
            case FIXED_DELAY:
                settings.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
                settings.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, restart.attemptsOrUnlimited());
                settings.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, restart.initialDelay());
                break;
            default:
                settings.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
                settings.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF,
                        restart.initialDelay());
                settings.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, restart.maxDelay());
                settings.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, 2.0);
                settings.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD,
                        Duration.ofHours(1));
                settings.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR, 0.1);
                settings.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS,
                        restart.attemptsOrUnlimited());
        }
    }

    /** Adds the pipeline, reading from a source that parses as it reads, to the environment. */
    public void build(StreamExecutionEnvironment env, Source<ParsedInput, ?, ?> source, Sinks sinks) {
        build(env, source, sinks, null);
    }

    /**
     * Adds the pipeline, reading from a source that parses as it reads, to the environment.
     *
     * @param backlog reads the source's topic again, for the records the call stage leaves there when tenants
     *     share the models ({@link TenantBacklog}); null to leave none
     */
    public void build(StreamExecutionEnvironment env, Source<ParsedInput, ?, ?> source, Sinks sinks,
            BacklogReader.Factory backlog) {
        buildParsed(env.fromSource(source, WatermarkStrategy.noWatermarks(), "prompts source").uid("prompts-source"),
                sinks, backlog);
    }

    /** Adds the pipeline after a stream of raw input records (tests feed their own), parsing them first. */
    public void build(DataStream<InputRecord> input, Sinks sinks) {
        buildParsed(input.map(new ParseFunction(config)).name("parse prompts").uid("parse-prompts"), sinks, null);
    }

    /**
     * The pipeline after parsing. The parsed inputs are partitioned by budget shard straight into the call
     * stage, which holds and checkpoints the shards' budgets: no operator sits between the shuffle and the
     * stage, because records that wait for budget wait in that shuffle, and only there (a hash exchange) can
     * an unaligned checkpoint barrier overtake them whether Flink chains operators or not.
     */
    private void buildParsed(DataStream<ParsedInput> parsed, Sinks sinks, BacklogReader.Factory backlog) {
        DataStream<ParsedInput> online = parsed;
        DataStream<CallResult> batchLane = null;
        if (config.models().values().stream().anyMatch(ModelSettings::hasBatchLane)) {
            // Only a job with a batch lane has the split: every other job's records go straight to the shuffle.
            SingleOutputStreamOperator<ParsedInput> split = parsed.process(new LaneSplit())
                    .name("split lanes").uid("split-lanes");
            online = split;
            batchLane = split.getSideOutput(LaneSplit.BATCH_LANE)
                    .keyBy(new LaneSplit.ByModel())
                    .transform("batch lane", TypeInformation.of(CallResult.class), new BatchLaneOperator(config))
                    .uid("batch-lane");
        }
        DataStream<CallResult> results = callApi(online.keyBy(ShardKeys.of(config)), backlog)
                .name("call LLM API").uid("call-llm-api");
        if (batchLane != null) {
            results = results.union(batchLane);
        }

        SingleOutputStreamOperator<Completion> completions = results
                .process(new ResultRouter(config.kafka().maxRequestSize(), config.records(), config.tenants().keySet()))
                .name("route results").uid("route-results");

        completions.sinkTo(sinks.completions())
                .name("completions sink").uid("completions-sink");

        completions.getSideOutput(ResultRouter.DEAD_LETTERS)
                .sinkTo(sinks.deadLetters())
                .name("dead-letter sink").uid("dead-letter-sink");

        SingleOutputStreamOperator<MetricEvent> metricEvents = completions.getSideOutput(ResultRouter.METRIC_EVENTS)
                .assignTimestampsAndWatermarks(WallClockWatermarks.<MetricEvent>withLag(METRICS_WATERMARK_LAG))
                .name("metric event times").uid("metric-event-times");
        if (config.hasTenants() && sinks.usage() != null) {
            metricEvents.keyBy(MetricEvent::usageKey)
                    .window(TumblingEventTimeWindows.of(config.metrics().window()))
                    .aggregate(new WindowAggregate(), new UsageFunction(config))
                    .name("usage per tenant").uid("usage-per-tenant")
                    .sinkTo(sinks.usage())
                    .name("usage sink").uid("usage-sink");
        }
        metricEvents
                .keyBy(MetricEvent::model)
                .window(TumblingEventTimeWindows.of(config.metrics().window()))
                .aggregate(new WindowAggregate(), new WindowMetricsFunction(config))
                .name("metrics per model").uid("metrics-per-model")
                .sinkTo(sinks.metrics())
                .name("metrics sink").uid("metrics-sink");
    }

    private SingleOutputStreamOperator<CallResult> callApi(KeyedStream<ParsedInput, String> byShard,
            BacklogReader.Factory backlog) {
        ChatCompletionFunction function = new ChatCompletionFunction(config);
        int capacity = ChatCompletionFunction.stageCapacity(config);
        long timeoutMillis = ChatCompletionFunction.operatorTimeout(config).toMillis();
        long extraMillis = ChatCompletionFunction.longestIntervalMillis(config);
        boolean ordered = config.call().order() == CallSettings.Order.INPUT;
        Map<String, Double> spendCaps = config.spendCaps();
        // With tenants, the stage reads on past a tenant's backlog: what it has no room for waits in Kafka.
        Overflow<ParsedInput> overflow = config.hasTenants() && backlog != null
                ? new TenantBacklog(config, ShardKeys.of(config), backlog) : Overflow.none();
        CallStageOperatorFactory<ParsedInput, CallResult> operator;
        if (spendCaps.isEmpty()) {
            operator = new CallStageOperatorFactory<>(function, capacity, timeoutMillis, extraMillis, ordered,
                    ParsedInput::madeAtMillis, overflow);
        } else {
            // Spend caps hold for the whole job: a coordinator on the JobManager shares them out.
            Map<String, Long> capNanos = new HashMap<>();
            spendCaps.forEach((tenant, dollars) -> capNanos.put(tenant, Nanos.floor(dollars)));
            operator = new CoordinatedCallStageOperatorFactory<>(function, capacity, timeoutMillis, extraMillis,
                    ordered, ParsedInput::madeAtMillis, overflow, capNanos);
        }
        return byShard.transform("call LLM API", TypeInformation.of(CallResult.class), operator);
    }
}
