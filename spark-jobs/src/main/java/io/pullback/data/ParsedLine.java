package io.pullback.data;

/** What a line parser found on one line: an example, nothing (blank or comment), or an error. */
public enum ParsedLine { EXAMPLE, SKIP, ERROR }
