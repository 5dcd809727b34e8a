package io.pullback.metric.representation;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What each representation would hold, in bytes, on the driver and in one task, for a metric of
 * N parameters with r factor rows per example, blocks of B examples and P partitions; and the one
 * place where {@code --representation auto} is decided.
 *
 * <p>Per representation (8-byte doubles; "factor block" is {@code 8·B·r·N}, the buffer each task
 * fills per block):
 * <ul>
 *   <li>dense: driver {@code 8·N²} (the matrix) + {@code 4·N²} per merged partial; task
 *       {@code 8·N²} accumulator + factor block;</li>
 *   <li>blocked: driver {@code 16·N} (diagonal and a vector); task: its band of tiles, bounded by
 *       the estimator's per-task budget, + factor block;</li>
 *   <li>implicit: driver {@code 40·N} (five CG vectors); task {@code 8·N} + factor block;</li>
 *   <li>diag: driver {@code 8·N}; task {@code 8·N} + factor block.</li>
 * </ul>
 * The other representations depend on the model's layer sizes (block-diag, kfac) or on a rank or a
 * batch (low-rank, ntk-dual) and are chosen explicitly, never by {@code auto}.
 *
 * @param n N, parameters
 * @param rowsPerExample r, factor rows per example
 * @param blockRows B, examples per block
 * @param partitions P
 */
public record MemoryPlan(int n, int rowsPerExample, int blockRows, int partitions) {
  /** What {@code auto} is asked for: a metric to store ({@code estimate}) or one to multiply by. */
  public enum Purpose { STORE, PRODUCTS }

  public MemoryPlan {
    if (n < 1 || rowsPerExample < 1 || blockRows < 1 || partitions < 1) {
      throw new IllegalArgumentException("a memory plan needs N, r, B and P >= 1, got N = " + n + ", r = " + rowsPerExample
          + ", B = " + blockRows + ", P = " + partitions);
    }
  }

  /** {@code 8·B·r·N}: one block's factor rows in a task. */
  public long factorBlockBytes() {
    return 8L * blockRows * rowsPerExample * n;
  }

  /** Driver bytes of {@code kind}, or -1 when they depend on more than N (see the class comment). */
  public long driverBytes(RepresentationKind kind) {
    long nn = (long) n * n;
    return switch (kind) {
      case DENSE -> 8 * nn + 4 * nn;
      case BLOCKED -> 16L * n;
      case IMPLICIT -> 40L * n;
      case DIAG -> 8L * n;
      default -> -1;
    };
  }

  /** Task bytes of {@code kind} beyond the factor block, or -1 when they depend on more than N. */
  public long taskBytes(RepresentationKind kind) {
    return switch (kind) {
      case DENSE -> 8L * n * n;
      case IMPLICIT, DIAG -> 8L * n;
      default -> -1;
    };
  }

  /**
   * {@code auto}: dense when {@code N ≤ denseLimit}; past it, blocked for a metric to store and
   * implicit (matrix-free) for one that is only multiplied by.
   */
  public static RepresentationKind auto(int n, int denseLimit, Purpose purpose) {
    if (n <= denseLimit) return RepresentationKind.DENSE;
    return purpose == Purpose.STORE ? RepresentationKind.BLOCKED : RepresentationKind.IMPLICIT;
  }

  /** The plan's figures for a log line or a summary: bytes per representation whose need is known. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("factor_block_bytes", factorBlockBytes());
    for (RepresentationKind k : new RepresentationKind[] {RepresentationKind.DENSE, RepresentationKind.BLOCKED,
        RepresentationKind.IMPLICIT, RepresentationKind.DIAG}) {
      m.put(k.cliName().toLowerCase(Locale.ROOT) + "_driver_bytes", driverBytes(k));
    }
    return m;
  }
}
