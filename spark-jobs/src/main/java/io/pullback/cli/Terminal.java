package io.pullback.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * The one live progress display of a command on a terminal: a single status line on stderr,
 * rewritten in place ({@code \r}, ANSI erase-to-end-of-line), made of the command's own text (for
 * {@code train}: step, loss, ETA) and the tasks of the running Spark stage.
 *
 * <p>While it is open, every other write to {@code System.err} (log lines, Spark's warnings) first
 * erases the status line and, once the line it wrote is complete, draws it again below: log lines
 * scroll above the display and are never glued to it. The log4j console appender must follow
 * {@code System.err} ({@code follow = true}, as in {@code conf/log4j2.properties}).
 *
 * <p>Whether stderr is a terminal: the system property {@code pullback.terminal} ({@code bin/pullback}
 * sets it from {@code [ -t 2 ]}), else whether the JVM has a console. On a terminal Pullback's INFO
 * lines are hidden unless {@code --verbose}; elsewhere (a pipe, a file, CI) nothing is drawn and every
 * INFO line is logged as before. Width: {@code pullback.columns} (the launcher passes the terminal's),
 * else {@code COLUMNS}, else 80; the line is cut to fit.
 */
public class Terminal implements AutoCloseable {
  /** No display: not a terminal (every method does nothing). */
  public static final Terminal NONE = new Terminal();

  private Terminal() {}

  /**
   * The display for one command: a live one when stderr is a terminal, else {@link #NONE}. On a
   * terminal without {@code verbose}, Pullback's loggers are set to WARN until {@link #close}.
   */
  public static Terminal open(boolean verbose) {
    String forced = System.getProperty("pullback.terminal");
    boolean interactive = forced != null ? Boolean.parseBoolean(forced) : System.console() != null;
    return interactive ? new Live(verbose) : NONE;
  }

  /** Whether a live display is drawn. */
  public boolean interactive() {
    return false;
  }

  /** Sets the command's part of the status line (e.g. {@code train: step 3/25 · loss 1.2e-3 · ETA 9 s}). */
  public void status(String text) {
    // not a terminal
  }

  /** Shows the tasks of each running Spark stage of {@code sc} on the status line until {@link #close}. */
  public void follow(SparkContext sc) {
    // not a terminal
  }

  /** Leaves the last status on screen as a finished line and restores stderr and the log levels (once; later calls do nothing). */
  @Override
  public void close() {
    // not a terminal
  }

  /** Human time: {@code 9 s}, {@code 2 min 5 s}. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s < 60 ? s + " s" : (s / 60) + " min " + (s % 60) + " s";
  }

  /** The live display (see the class comment). */
  private static final class Live extends Terminal {
    private final PrintStream original = System.err;
    private final int columns = columns();
    private final LogLevels levels;
    private String text = "";
    private String tasks = "";
    private boolean shown;
    private boolean atLineStart = true;
    private boolean closed;
    private SparkContext followed;
    private SparkListener listener;

    Live(boolean verbose) {
      levels = verbose ? null : LogLevels.quiet();
      System.setErr(new PrintStream(new Interleaving(), true, StandardCharsets.UTF_8));
    }

    @Override
    public boolean interactive() {
      return true;
    }

    @Override
    public synchronized void status(String newText) {
      text = newText;
      redraw();
    }

    @Override
    public synchronized void follow(SparkContext sc) {
      if (followed != null) return;
      AtomicInteger done = new AtomicInteger();
      AtomicInteger total = new AtomicInteger();
      listener = new SparkListener() {
        @Override
        public void onStageSubmitted(SparkListenerStageSubmitted e) {
          done.set(0);
          total.set(e.stageInfo().numTasks());
          tasks(String.format(Locale.ROOT, "stage %d: 0/%d tasks", e.stageInfo().stageId(), total.get()));
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
          tasks(String.format(Locale.ROOT, "stage %d: %d/%d tasks", e.stageId(), done.incrementAndGet(), total.get()));
        }

        @Override
        public void onStageCompleted(SparkListenerStageCompleted e) {
          tasks("");
        }
      };
      followed = sc;
      sc.addSparkListener(listener);
    }

    private synchronized void tasks(String t) {
      tasks = t;
      redraw();
    }

    /** The status line as drawn: the command's text and the stage's tasks, cut to the width. */
    private String line() {
      String l = text.isEmpty() ? tasks : tasks.isEmpty() ? text : text + " · " + tasks;
      return l.length() < columns ? l : l.substring(0, Math.max(0, columns - 2)) + "…";
    }

    private void redraw() {
      if (closed || !atLineStart) return; // someone is half-way through a line: draw after it
      String l = line();
      if (l.isEmpty() && !shown) return;
      original.print("\r" + l + "\033[K");
      original.flush();
      shown = !l.isEmpty();
    }

    private void erase() {
      if (!shown) return;
      original.print("\r\033[K");
      shown = false;
    }

    @Override
    public synchronized void close() {
      if (closed) return;
      if (followed != null) followed.removeSparkListener(listener);
      tasks = "";
      if (!text.isEmpty() && atLineStart) {
        original.println("\r" + line() + "\033[K"); // the last status stays, as a finished line
      } else {
        erase();
      }
      original.flush();
      closed = true;
      shown = false;
      System.setErr(original);
      if (levels != null) levels.restore();
    }

    /** stderr while the display is open: other writers' bytes, with the status line moved below them. */
    private final class Interleaving extends OutputStream {
      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        if (len == 0) return;
        synchronized (Live.this) {
          erase();
          original.write(b, off, len);
          atLineStart = b[off + len - 1] == '\n';
          redraw();
        }
      }

      @Override
      public void flush() {
        original.flush();
      }
    }

    private static int columns() {
      for (String v : new String[] {System.getProperty("pullback.columns"), System.getenv("COLUMNS")}) {
        try {
          if (v != null && Integer.parseInt(v.trim()) >= 20) return Integer.parseInt(v.trim());
        } catch (NumberFormatException ignored) {
          // not a number: next source
        }
      }
      return 80;
    }
  }

  /** Pullback's log level lowered to WARN on a terminal, and put back (log4j2; another backend is left as it is). */
  private record LogLevels(Object previous) {
    static LogLevels quiet() {
      try {
        org.apache.logging.log4j.Level before = org.apache.logging.log4j.LogManager.getLogger("io.pullback").getLevel();
        org.apache.logging.log4j.core.config.Configurator.setLevel("io.pullback", org.apache.logging.log4j.Level.WARN);
        return new LogLevels(before);
      } catch (LinkageError | RuntimeException e) {
        return new LogLevels(null);
      }
    }

    void restore() {
      if (previous == null) return;
      try {
        org.apache.logging.log4j.core.config.Configurator.setLevel("io.pullback", (org.apache.logging.log4j.Level) previous);
      } catch (LinkageError | RuntimeException ignored) {
        // no log4j2 core: nothing was changed
      }
    }
  }
}
