package io.llmstream.local.llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Random;

/**
 * A llama-architecture model with random weights, small enough to write on the fly (about half a megabyte):
 * 2 layers, 4 heads, embedding 64, feed-forward 128, {@link TinyVocabulary}'s tokens and a ChatML chat
 * template. Its answers are word salad; it exists to exercise a real server's protocol, not its meaning.
 *
 * <p>The weights come from a fixed seed, so every call writes the same bytes. The output rows of the
 * special and byte tokens are zero while the others spread the logits by about four, so sampling all but
 * never picks an end-of-sequence token or a stray byte: answers run to {@code max_tokens} in printable
 * ASCII.
 */
public final class TinyGgufModel {
    /** The length of every embedding vector the model gives. */
    public static final int EMBEDDING_LENGTH = 64;
    /** The model's own context length; a server may use less. */
    public static final int CONTEXT_LENGTH = 4096;

    static final String FILE_NAME = "llmstream-tiny-F32.gguf";
    private static final int LAYERS = 2;
    private static final int HEADS = 4;
    private static final int FEED_FORWARD_LENGTH = 128;
    private static final long SEED = 20_240_611L;
    private static final float OUTPUT_WEIGHT_SPREAD = 0.5f;
    private static final String CHATML = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private TinyGgufModel() {}

    /**
     * Writes the model as {@value #FILE_NAME} in a folder and returns its path. It writes a temporary file
     * first and renames it, so a reader never sees half a model.
     */
    public static Path writeTo(Path folder) throws IOException {
        Files.createDirectories(folder);
        Path target = folder.resolve(FILE_NAME);
        Path partial = Files.createTempFile(folder, FILE_NAME, ".partial");
        Files.write(partial, bytes());
        return Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The whole file. */
    public static byte[] bytes() {
        TinyVocabulary vocabulary = new TinyVocabulary();
        GgufWriter gguf = new GgufWriter();
        putHyperparameters(gguf);
        putTokenizer(gguf, vocabulary);
        putWeights(gguf, vocabulary, new Random(SEED));
        return gguf.toBytes();
    }

    private static void putHyperparameters(GgufWriter gguf) {
        gguf.putString("general.architecture", "llama");
        gguf.putString("general.name", "llmstream tiny random");
        gguf.putUint32("general.alignment", 32);
        gguf.putUint32("llama.context_length", CONTEXT_LENGTH);
        gguf.putUint32("llama.embedding_length", EMBEDDING_LENGTH);
        gguf.putUint32("llama.block_count", LAYERS);
        gguf.putUint32("llama.feed_forward_length", FEED_FORWARD_LENGTH);
        gguf.putUint32("llama.attention.head_count", HEADS);
        gguf.putUint32("llama.attention.head_count_kv", HEADS);
        gguf.putUint32("llama.rope.dimension_count", EMBEDDING_LENGTH / HEADS);
        gguf.putFloat32("llama.rope.freq_base", 10_000f);
        gguf.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    }

    private static void putTokenizer(GgufWriter gguf, TinyVocabulary vocabulary) {
        gguf.putString("tokenizer.ggml.model", "llama");
        gguf.putStrings("tokenizer.ggml.tokens", vocabulary.tokens());
        gguf.putFloats("tokenizer.ggml.scores", vocabulary.scoreArray());
        gguf.putInts("tokenizer.ggml.token_type", vocabulary.typeArray());
        gguf.putUint32("tokenizer.ggml.unknown_token_id", TinyVocabulary.UNK_ID);
        gguf.putUint32("tokenizer.ggml.bos_token_id", TinyVocabulary.BOS_ID);
        gguf.putUint32("tokenizer.ggml.eos_token_id", TinyVocabulary.EOS_ID);
        gguf.putBool("tokenizer.ggml.add_bos_token", true);
        gguf.putBool("tokenizer.ggml.add_eos_token", false);
        gguf.putString("tokenizer.chat_template", CHATML);
    }

    private static void putWeights(GgufWriter gguf, TinyVocabulary vocabulary, Random random) {
        int vocab = vocabulary.size();
        gguf.addTensor("token_embd.weight", dims(EMBEDDING_LENGTH, vocab),
                gaussian(random, EMBEDDING_LENGTH * vocab, 1f));
        for (int layer = 0; layer < LAYERS; layer++) {
            String block = "blk." + layer + ".";
            gguf.addTensor(block + "attn_norm.weight", dims(EMBEDDING_LENGTH), ones(EMBEDDING_LENGTH));
            for (String projection : new String[] {"attn_q", "attn_k", "attn_v", "attn_output"}) {
                gguf.addTensor(block + projection + ".weight", dims(EMBEDDING_LENGTH, EMBEDDING_LENGTH),
                        linear(random, EMBEDDING_LENGTH, EMBEDDING_LENGTH));
            }
            gguf.addTensor(block + "ffn_norm.weight", dims(EMBEDDING_LENGTH), ones(EMBEDDING_LENGTH));
            gguf.addTensor(block + "ffn_gate.weight", dims(EMBEDDING_LENGTH, FEED_FORWARD_LENGTH),
                    linear(random, EMBEDDING_LENGTH, FEED_FORWARD_LENGTH));
            gguf.addTensor(block + "ffn_up.weight", dims(EMBEDDING_LENGTH, FEED_FORWARD_LENGTH),
                    linear(random, EMBEDDING_LENGTH, FEED_FORWARD_LENGTH));
            gguf.addTensor(block + "ffn_down.weight", dims(FEED_FORWARD_LENGTH, EMBEDDING_LENGTH),
                    linear(random, FEED_FORWARD_LENGTH, EMBEDDING_LENGTH));
        }
        gguf.addTensor("output_norm.weight", dims(EMBEDDING_LENGTH), ones(EMBEDDING_LENGTH));
        float[] output = gaussian(random, EMBEDDING_LENGTH * vocab, OUTPUT_WEIGHT_SPREAD);
        for (int token = 0; token < vocab; token++) {
            if (vocabulary.isNeverSpoken(token)) {
                Arrays.fill(output, token * EMBEDDING_LENGTH, (token + 1) * EMBEDDING_LENGTH, 0f);
            }
        }
        gguf.addTensor("output.weight", dims(EMBEDDING_LENGTH, vocab), output);
    }

    private static long[] dims(long... dimensions) {
        return dimensions;
    }

    private static float[] ones(int n) {
        float[] values = new float[n];
        Arrays.fill(values, 1f);
        return values;
    }

    /** Weights of a layer from {@code in} features, scaled so its outputs stay near unit size. */
    private static float[] linear(Random random, int in, int out) {
        return gaussian(random, in * out, (float) (1 / Math.sqrt(in)));
    }

    private static float[] gaussian(Random random, int n, float spread) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * spread;
        }
        return values;
    }
}
