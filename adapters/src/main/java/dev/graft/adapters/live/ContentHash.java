package dev.graft.adapters.live;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.nn.Parameter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The content hash of an adapter: SHA-256, hex, over its {@code peft_type}, its PEFT config as JSON (the
 * hyper-parameters, without {@code base_model_name_or_path}), then each parameter's name, shape and float32 values
 * (little-endian), in parameter order. It identifies what the adapter computes: the same adapter loaded from a
 * PEFT directory, saved again or kept in memory hashes the same; a change to any value or hyper-parameter changes it.
 */
public final class ContentHash {
    private ContentHash() {
    }

    /** The hex SHA-256 of {@code adapter}'s current content. */
    public static String of(Adapter adapter) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
        text(md, adapter.peftType());
        text(md, adapter.peftConfig().toString());
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Parameter p : adapter.parameters()) {
            text(md, p.name());
            int[] shape = p.shape();
            buf.clear().putInt(shape.length);
            for (int d : shape) {
                buf.putInt(d);
            }
            md.update(buf.flip());
            float[] v = p.values();
            for (int i = 0; i < v.length; ) {
                buf.clear();
                while (i < v.length && buf.remaining() >= Float.BYTES) {
                    buf.putFloat(v[i++]);
                }
                md.update(buf.flip());
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void text(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).flip());
        md.update(b);
    }
}
