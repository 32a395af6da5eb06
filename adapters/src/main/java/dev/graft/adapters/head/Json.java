package dev.graft.adapters.head;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.graft.core.backbone.Pooling;
import java.io.IOException;
import java.util.Locale;

/**
 * The one JSON mapper for head configs and saved models: snake_case field names (like Hugging Face's
 * {@code config.json}), lower-case enum values, unknown fields rejected so a typo in a config is an error.
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .addModule(new SimpleModule("graft").addSerializer(Pooling.class, new StdSerializer<>(Pooling.class) {
                @Override
                public void serialize(Pooling value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                    gen.writeString(value.name().toLowerCase(Locale.ROOT));
                }
            }))
            .build();

    private Json() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
