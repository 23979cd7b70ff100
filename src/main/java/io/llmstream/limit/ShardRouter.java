package io.llmstream.limit;

import io.llmstream.record.LlmRequest;
import io.llmstream.record.PacedRequest;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The limit stage's keyed function: the stream is keyed by budget shard ({@link ShardKeys}), so every
 * request of a shard reaches the one parallel instance of the call stage that holds and spends that
 * shard's share of its model's limits; this function hands each request on, marked with its shard and
 * the time it got there. It keeps no state: the budgets live, and are checkpointed, in the operator that
 * spends them (see {@code io.llmstream.call.ChatCompletionFunction}), which follows this one one to one.
 *
 * <p>Requests pass on at once; the call stage's capacity is the brake. When it is full this function is
 * not called, the backlog stays in Kafka, and no more than a shard's burst goes out when it lets go.
 */
public final class ShardRouter extends KeyedProcessFunction<String, LlmRequest, PacedRequest> {
    private static final long serialVersionUID = 1L;

    private final ShardKeys shards;

    public ShardRouter(ShardKeys shards) {
        this.shards = shards;
    }

    @Override
    public void processElement(LlmRequest request, Context ctx, Collector<PacedRequest> out) {
        out.collect(new PacedRequest(request, shards.shardOf(request), ctx.timerService().currentProcessingTime()));
    }
}
