package io.llmstream.local.mock;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fields of a {@code multipart/form-data} request, as {@code POST /v1/files} takes them: read with Netty's
 * decoder, in memory (the aggregated request is in memory already), the first field of each name kept.
 */
final class MockMultipart {

    /** One field: its text for a plain field, its bytes and file name for an uploaded file. */
    record Part(String name, String filename, byte[] content) {
        boolean isFile() {
            return filename != null;
        }

        String text() {
            return new String(content, StandardCharsets.UTF_8);
        }
    }

    private MockMultipart() {}

    /**
     * The fields by name.
     *
     * @throws IllegalArgumentException when the request is not multipart or its body cannot be decoded
     */
    static Map<String, Part> parse(FullHttpRequest request) {
        if (!HttpPostRequestDecoder.isMultipart(request)) {
            throw new IllegalArgumentException("The request must be multipart/form-data with the fields 'purpose'"
                    + " and 'file', was content-type '" + request.headers().get("content-type") + "'.");
        }
        HttpPostRequestDecoder decoder;
        try {
            decoder = new HttpPostRequestDecoder(new DefaultHttpDataFactory(false), request);
        } catch (DecoderException e) {
            throw new IllegalArgumentException("The multipart body cannot be decoded: " + e.getMessage(), e);
        }
        try {
            Map<String, Part> parts = new LinkedHashMap<>();
            for (InterfaceHttpData data : decoder.getBodyHttpDatas()) {
                if (data instanceof FileUpload upload) {
                    parts.putIfAbsent(upload.getName(), new Part(upload.getName(),
                            upload.getFilename() == null ? "" : upload.getFilename(), upload.get()));
                } else if (data instanceof Attribute attribute) {
                    parts.putIfAbsent(attribute.getName(), new Part(attribute.getName(), null, attribute.get()));
                }
            }
            return parts;
        } catch (IOException | DecoderException e) {
            throw new IllegalArgumentException("The multipart body cannot be decoded: " + e.getMessage(), e);
        } finally {
            decoder.destroy();
        }
    }
}
