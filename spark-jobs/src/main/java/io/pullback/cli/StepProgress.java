package io.pullback.cli;

import io.pullback.io.Numbers;
import io.pullback.job.StepListener;

/**
 * Training steps on the {@link Terminal}'s status line: {@code PREFIX step 3/25 · loss 1.234e-3 · ETA 9 s},
 * the ETA being the mean step time so far times the steps left.
 */
public final class StepProgress implements StepListener {
  private final Terminal terminal;
  private final String prefix;
  private double elapsed;
  private int counted;

  /**
   * @param prefix what is training, e.g. {@code train} or {@code arm 2/3 adam}
   */
  public StepProgress(Terminal terminal, String prefix) {
    this.terminal = terminal;
    this.prefix = prefix;
  }

  @Override
  public void stepDone(int step, int steps, double loss, double seconds) {
    elapsed += seconds;
    counted++;
    double eta = elapsed / counted * (steps - step);
    terminal.status(prefix + ": step " + step + "/" + steps + " · loss " + Numbers.sig(loss, 4)
        + (step < steps ? " · ETA " + Terminal.duration(eta) : " · " + Terminal.duration(elapsed)));
  }
}
