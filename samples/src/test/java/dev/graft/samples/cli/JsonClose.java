package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Compares two JSON values: the same structure, keys, strings, booleans and nulls, and numbers within an absolute
 * tolerance (float scores of one row computed in batches of different sizes and padding differ by rounding).
 */
final class JsonClose {
    private double maxDifference;

    /** The largest difference between two numbers seen so far. */
    double maxDifference() {
        return maxDifference;
    }

    /** Asserts {@code actual} matches {@code expected}; {@code where} names the place in failure messages. */
    void assertClose(JsonNode actual, JsonNode expected, double tolerance, String where) {
        if (expected.isNumber()) {
            assertThat(actual.isNumber()).as(where + " is a number: " + actual).isTrue();
            double d = Math.abs(actual.asDouble() - expected.asDouble());
            maxDifference = Math.max(maxDifference, d);
            assertThat(d).as(where + ": " + actual + " vs " + expected).isLessThanOrEqualTo(tolerance);
        } else if (expected.isObject()) {
            assertThat(actual.isObject()).as(where + " is an object: " + actual).isTrue();
            assertThat(names(actual)).as(where + " keys").isEqualTo(names(expected));
            for (String k : names(expected)) {
                assertClose(actual.get(k), expected.get(k), tolerance, where + "." + k);
            }
        } else if (expected.isArray()) {
            assertThat(actual.isArray()).as(where + " is an array: " + actual).isTrue();
            assertThat(actual.size()).as(where + " length").isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                assertClose(actual.get(i), expected.get(i), tolerance, where + "[" + i + "]");
            }
        } else {
            assertThat(actual).as(where).isEqualTo(expected);
        }
    }

    private static List<String> names(JsonNode n) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
