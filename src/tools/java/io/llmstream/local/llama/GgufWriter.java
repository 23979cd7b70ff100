package io.llmstream.local.llama;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays out a GGUF file (version 3, little-endian, as ggml's {@code docs/gguf.md} describes it): the header,
 * the key/value metadata in the order given, the tensor infos, then every tensor's F32 data at an offset
 * aligned to 32 bytes. Only the value types a small llama model needs are here.
 */
final class GgufWriter {
    private static final int VERSION = 3;
    private static final int ALIGNMENT = 32;
    private static final int TYPE_INT32 = 5;
    private static final int TYPE_UINT32 = 4;
    private static final int TYPE_FLOAT32 = 6;
    private static final int TYPE_BOOL = 7;
    private static final int TYPE_STRING = 8;
    private static final int TYPE_ARRAY = 9;
    private static final int GGML_TYPE_F32 = 0;

    private final Map<String, byte[]> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    private record Tensor(String name, long[] dimensions, float[] data) {}

    void putString(String key, String value) {
        Bytes out = new Bytes();
        out.int32(TYPE_STRING).string(value);
        metadata.put(key, out.toArray());
    }

    void putUint32(String key, int value) {
        metadata.put(key, new Bytes().int32(TYPE_UINT32).int32(value).toArray());
    }

    void putFloat32(String key, float value) {
        metadata.put(key, new Bytes().int32(TYPE_FLOAT32).float32(value).toArray());
    }

    void putBool(String key, boolean value) {
        metadata.put(key, new Bytes().int32(TYPE_BOOL).int8(value ? 1 : 0).toArray());
    }

    void putStrings(String key, List<String> values) {
        Bytes out = new Bytes().int32(TYPE_ARRAY).int32(TYPE_STRING).int64(values.size());
        values.forEach(out::string);
        metadata.put(key, out.toArray());
    }

    void putFloats(String key, float[] values) {
        Bytes out = new Bytes().int32(TYPE_ARRAY).int32(TYPE_FLOAT32).int64(values.length);
        for (float value : values) {
            out.float32(value);
        }
        metadata.put(key, out.toArray());
    }

    void putInts(String key, int[] values) {
        Bytes out = new Bytes().int32(TYPE_ARRAY).int32(TYPE_INT32).int64(values.length);
        for (int value : values) {
            out.int32(value);
        }
        metadata.put(key, out.toArray());
    }

    /**
     * Adds an F32 tensor. Dimensions are in ggml's order, the fastest-varying first: a matrix that maps
     * {@code in} features to {@code out} is {@code {in, out}}.
     */
    void addTensor(String name, long[] dimensions, float[] data) {
        long elements = 1;
        for (long dimension : dimensions) {
            elements *= dimension;
        }
        if (elements != data.length) {
            throw new IllegalArgumentException("tensor " + name + " has " + data.length + " values but its dimensions "
                    + Arrays.toString(dimensions) + " need " + elements);
        }
        tensors.add(new Tensor(name, dimensions.clone(), data.clone()));
    }

    byte[] toBytes() {
        Bytes out = new Bytes();
        out.raw("GGUF".getBytes(StandardCharsets.US_ASCII)).int32(VERSION).int64(tensors.size()).int64(metadata.size());
        metadata.forEach((key, value) -> out.string(key).raw(value));
        long offset = 0;
        for (Tensor tensor : tensors) {
            out.string(tensor.name()).int32(tensor.dimensions().length);
            for (long dimension : tensor.dimensions()) {
                out.int64(dimension);
            }
            out.int32(GGML_TYPE_F32).int64(offset);
            offset = aligned(offset + 4L * tensor.data().length);
        }
        out.padTo(ALIGNMENT);
        for (Tensor tensor : tensors) {
            for (float value : tensor.data()) {
                out.float32(value);
            }
            out.padTo(ALIGNMENT);
        }
        return out.toArray();
    }

    private static long aligned(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** A growing little-endian byte buffer. */
    private static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Bytes int8(int value) {
            out.write(value);
            return this;
        }

        Bytes int32(int value) {
            scratch.clear();
            out.write(scratch.putInt(value).array(), 0, 4);
            return this;
        }

        Bytes int64(long value) {
            scratch.clear();
            out.write(scratch.putLong(value).array(), 0, 8);
            return this;
        }

        Bytes float32(float value) {
            return int32(Float.floatToIntBits(value));
        }

        Bytes string(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            return int64(utf8.length).raw(utf8);
        }

        Bytes raw(byte[] bytes) {
            out.write(bytes, 0, bytes.length);
            return this;
        }

        Bytes padTo(int alignment) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
            return this;
        }

        byte[] toArray() {
            return out.toByteArray();
        }
    }
}
