package io.llmstream.metrics;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

import java.time.Duration;

/**
 * Stamps metric events with the wall clock as they pass and advances the watermark with the wall clock
 * even when no event comes, so a window closes on time in a quiet stream; in a bounded run the final
 * watermark closes the last window. The lag covers the shuffle to the window operator.
 */
public final class WallClockWatermarks {
    private WallClockWatermarks() {}

    public static <T> WatermarkStrategy<T> withLag(Duration lag) {
        long lagMillis = lag.toMillis();
        return WatermarkStrategy.<T>forGenerator(context -> new WatermarkGenerator<T>() {
                    @Override
                    public void onEvent(T event, long timestamp, WatermarkOutput output) {}

                    @Override
                    public void onPeriodicEmit(WatermarkOutput output) {
                        output.emitWatermark(new Watermark(System.currentTimeMillis() - lagMillis));
                    }
                })
                .withTimestampAssigner((event, previous) -> System.currentTimeMillis());
    }
}
