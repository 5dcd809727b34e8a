package io.pullback.data;

import java.io.Serializable;

/**
 * One example as read from the input, before validation and packing. Values may be non-finite or
 * missing ({@code null} arrays mark an unreadable row); the validation pass reports those.
 *
 * @param features the D feature values, or null when the row could not be read
 * @param labels the label values (usually one), or null when missing
 * @param weight the example weight (1 when the input has no weight column)
 */
public record RawExample(double[] features, double[] labels, double weight) implements Serializable {
}
