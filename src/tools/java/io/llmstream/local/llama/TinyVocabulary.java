package io.llmstream.local.llama;

import java.util.ArrayList;
import java.util.List;

/**
 * A SentencePiece-style vocabulary of a few hundred tokens, in llama.cpp's {@code llama} tokenizer's terms:
 * the special tokens, ChatML's two markers, the 256 byte tokens that spell anything else, the printable
 * ASCII characters, the word boundary {@code ▁} and some whole words that start with it.
 */
public final class TinyVocabulary {
    /** Token types as GGUF's {@code tokenizer.ggml.token_type} numbers them. */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    public static final int BYTE = 6;

    static final int UNK_ID = 0;
    static final int BOS_ID = 1;
    public static final int EOS_ID = 2;

    private static final String WORD_START = "\u2581";
    private static final List<String> WORDS = List.of("the", "a", "of", "and", "to", "in", "is", "it", "that", "for",
            "on", "with", "as", "stream", "token", "model", "answer", "question", "record", "topic", "window", "state",
            "hello", "world", "river", "cloud", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "yes", "no",
            "red", "green", "blue", "one", "two", "three");

    private final List<String> tokens = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();

    public TinyVocabulary() {
        add("<unk>", UNKNOWN, 0);
        add("<s>", CONTROL, 0);
        add("</s>", CONTROL, 0);
        add("<|im_start|>", CONTROL, 0);
        add("<|im_end|>", CONTROL, 0);
        for (int b = 0; b < 256; b++) {
            add(String.format("<0x%02X>", b), BYTE, 0);
        }
        add(WORD_START, NORMAL, -1);
        for (char c = '!'; c <= '~'; c++) {
            add(String.valueOf(c), NORMAL, -2);
        }
        for (String word : WORDS) {
            add(WORD_START + word, NORMAL, -3 - tokens.size() / 1000f);
        }
    }

    private void add(String token, int type, float score) {
        tokens.add(token);
        types.add(type);
        scores.add(score);
    }

    public int size() {
        return tokens.size();
    }

    public List<String> tokens() {
        return List.copyOf(tokens);
    }

    public int type(int id) {
        return types.get(id);
    }

    /** Whether a model should never answer with this token: the specials and the raw bytes. */
    public boolean isNeverSpoken(int id) {
        return type(id) != NORMAL;
    }

    int[] typeArray() {
        return types.stream().mapToInt(Integer::intValue).toArray();
    }

    float[] scoreArray() {
        float[] array = new float[scores.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = scores.get(i);
        }
        return array;
    }
}
