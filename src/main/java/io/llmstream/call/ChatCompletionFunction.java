package io.llmstream.call;

import io.llmstream.config.CallSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;
import io.llmstream.limit.Dispatchers;
import io.llmstream.record.CallResult;
import io.llmstream.record.DeadLetter;
import io.llmstream.record.ErrorKind;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.MetricEvent;
import io.llmstream.record.PacedRequest;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

import java.time.Duration;
import java.util.Collections;

/**
 * The call stage: sends each paced request to its model's endpoint when the model's dispatcher gives
 * it a turn, and answers with a completion or a dead letter, never an exception, so a failing provider
 * never fails the job. The work lives in {@link ChatCall}; this class only wires it to Flink.
 */
public final class ChatCompletionFunction extends RichAsyncFunction<PacedRequest, CallResult> {
    private static final long serialVersionUID = 1L;
    /** Slack on top of the longest legitimate stay, so the operator's timeout only catches bugs. */
    private static final Duration OPERATOR_TIMEOUT_SLACK = Duration.ofSeconds(30);

    private final LlmStreamConfig config;

    private transient SharedHttpClient.Lease http;
    private transient Dispatchers.Lease dispatchers;
    private transient Routes routes;
    private transient RetryPolicy retryPolicy;
    private transient CallStageGauges gauges;

    public ChatCompletionFunction(LlmStreamConfig config) {
        this.config = config;
    }

    /**
     * The async operator's timeout: above the longest a request can legitimately stay, which is the wait
     * for budget of a full capacity of the slowest model's largest requests, plus the ageing of the lowest
     * priority past the highest, plus the call deadline. A request that still hits it becomes a dead
     * letter (see {@link #timeout}).
     */
    public static Duration operatorTimeout(LlmStreamConfig config) {
        double longestIntervalMillis = 0;
        for (ModelSettings model : config.models().values()) {
            double slowdown = 1 / (1 - model.headroom());
            if (model.hasRpmLimit()) {
                longestIntervalMillis = Math.max(longestIntervalMillis, 60_000d / model.rpm() * slowdown);
            }
            if (model.hasTpmLimit()) {
                longestIntervalMillis = Math.max(longestIntervalMillis, 60_000d * slowdown);
            }
        }
        long budgetWait = (long) (longestIntervalMillis * config.call().capacity());
        Duration ageing = config.call().priorityAging().multipliedBy(2L * CallSettings.PRIORITY_LEVELS);
        return config.call().timeout().plusMillis(budgetWait).plus(ageing).plus(OPERATOR_TIMEOUT_SLACK);
    }

    @Override
    public void open(OpenContext openContext) {
        http = SharedHttpClient.acquire(config.http());
        dispatchers = Dispatchers.acquire(getRuntimeContext().getJobInfo().getJobId(), config);
        routes = new Routes(config, dispatchers);
        retryPolicy = new RetryPolicy(config.call().retry());
        gauges = new CallStageGauges(getRuntimeContext().getMetricGroup(), config, dispatchers::forModel);
    }

    @Override
    public void asyncInvoke(PacedRequest paced, ResultFuture<CallResult> resultFuture) {
        String model = paced.request().model();
        gauges.started(model);
        new ChatCall(paced, config.call(), routes, retryPolicy, http)
                .start()
                .whenComplete((result, failure) -> {
                    gauges.finished(model);
                    resultFuture.complete(Collections.singleton(result != null ? result : internalFailure(paced,
                            failure)));
                });
    }

    /** The operator's own timeout: a dead letter instead of a failed job. */
    @Override
    public void timeout(PacedRequest paced, ResultFuture<CallResult> resultFuture) {
        resultFuture.complete(Collections.singleton(deadLetter(paced, ErrorKind.TIMEOUT,
                "no result within the async operator's timeout of " + operatorTimeout(config).toSeconds() + "s")));
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        if (dispatchers != null) {
            dispatchers.close();
        }
    }

    private CallResult internalFailure(PacedRequest paced, Throwable failure) {
        return deadLetter(paced, ErrorKind.INTERNAL, String.valueOf(failure));
    }

    private CallResult deadLetter(PacedRequest paced, ErrorKind kind, String message) {
        LlmRequest request = paced.request();
        long elapsed = Math.max(0, System.currentTimeMillis() - paced.pacedAtMillis());
        long charged = request.tokenCost(config.model(request.model()).defaultMaxTokens());
        return CallResult.failure(request,
                DeadLetter.failedRequest(request, kind, 0, null, message, 0, request.model(), null, elapsed),
                new MetricEvent(request.model(), null, kind, 0, elapsed, 0, 0, 0, charged, 0, false, -1));
    }
}
