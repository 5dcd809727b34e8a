package io.pullback.cli;

/**
 * A {@code pullback} subcommand that lives above the {@code cli} layer ({@code run} in
 * {@code experiment}, {@code bench} in the bench module) and joins the command line through
 * {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/io.pullback.cli.CommandPlugin}. The class is a picocli {@code @Command}
 * with a no-argument constructor; it may declare {@code @ParentCommand PullbackCli parent} to reach
 * the session and the output stream. Commands whose module is not on the class path (the bench
 * module in the submit jar) are simply absent.
 */
public interface CommandPlugin {}
