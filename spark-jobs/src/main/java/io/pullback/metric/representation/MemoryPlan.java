package io.pullback.metric.representation;

import io.pullback.PullbackException;
import io.pullback.model.LayeredModel;
import io.pullback.model.Model;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What each representation would hold, in bytes, on the driver, in one task and in one collected
 * result, for a metric of N parameters with r factor rows per example, blocks of B examples and P
 * partitions; whether that fits the limits of a session; and the one place where
 * {@code --representation auto} is decided. Everything here is known before any data is read, so a
 * plan that cannot fit is refused before the first Spark job.
 *
 * <p>Per representation (8-byte doubles; "factor block" {@code F = 8·B·r·N} is the buffer each task
 * fills per block and is added to every task figure; "collected" is what one {@code collect}
 * brings to the driver, at most two partials of the deterministic tree reduce):
 * <ul>
 *   <li>dense: driver {@code 8·N²} (the matrix) + {@code 4·N²} (a merged packed partial); task
 *       {@code 8·N²} accumulator; collected {@code min(P,2)·4·N(N+1)};</li>
 *   <li>blocked: driver {@code 16·N} (diagonal and a vector); task its band of tiles, at least one
 *       tile column {@code 8·min(T,N)·N}, at most the estimator's budget; collected {@code 16·N};</li>
 *   <li>implicit: driver {@code 40·N} (five CG vectors); task {@code 8·N}; collected {@code 16·N};</li>
 *   <li>diag: driver {@code 8·N}; task {@code 8·N}; collected {@code 16·N};</li>
 *   <li>block-diag: {@code S = Σ_g m_g²} over the parameter groups (layers): driver {@code 16·S},
 *       task {@code 8·S}, collected {@code 16·S};</li>
 *   <li>kfac: {@code S = Σ_l (in_l+1)² + out_l²}: driver {@code 16·S}, task {@code 8·S} plus, instead
 *       of the factor block F, the layer inputs and deltas {@code 8·B·r·Σ_l (in_l + 1 + out_l)};
 *       collected {@code 16·S};</li>
 *   <li>kfac: {@code S = Σ_l (in_l+1)² + out_l²}: driver {@code 16·S}, task {@code 8·S}, collected
 *       {@code 16·S};</li>
 *   <li>ekfac: K-FAC's factors, their eigenvectors and the corrected diagonal ({@code Σ_l (in_l+1)·out_l
 *       = N} values for the layered models): driver {@code 24·S + 16·N}, task {@code 8·(S + N)} (the
 *       broadcast eigenvectors and the diagonal accumulator of the second pass), collected
 *       {@code 16·(S + N)};</li>
 *   <li>low-rank (rank k): driver {@code 24·k·N} (test matrix, sketch, basis), task {@code 16·k·N},
 *       collected {@code 16·k·N};</li>
 *   <li>ntk-dual (at most {@code R} gathered rows): driver {@code 8·R·N + 8·R²}; task none beyond
 *       F; collected {@code 8·R·N}.</li>
 * </ul>
 *
 * @param n N, parameters
 * @param rowsPerExample r, factor rows per example
 * @param blockRows B, examples per block
 * @param partitions P
 * @param sizes the representation settings and model shapes the figures need
 */
public record MemoryPlan(int n, int rowsPerExample, int blockRows, int partitions, Sizes sizes) {
  /** What {@code auto} is asked for: a metric to store ({@code estimate}) or one to multiply by. */
  public enum Purpose { STORE, PRODUCTS }

  /**
   * What the figures depend on beyond N.
   *
   * @param rank k of low-rank
   * @param tileSize T of blocked
   * @param blockedTaskBudget the blocked estimator's per-task budget
   * @param blockDiagValues {@code Σ m_g²} of block-diag
   * @param kfacValues {@code Σ (in_l+1)² + out_l²} of kfac (0 for a model without layers)
   * @param maxDualRows R of ntk-dual
   * @param kfacWidths {@code Σ (in_l + 1) + out_l} of kfac: per example and factor row, the layer inputs
   *     and back-propagated deltas its task holds instead of a factor block
   */
  public record Sizes(int rank, int tileSize, long blockedTaskBudget, long blockDiagValues, long kfacValues, int maxDualRows,
                      long kfacWidths) {
    /** The sizes of {@code model} under {@code options}. */
    public static Sizes of(Model model, RepresentationOptions options, long blockedTaskBudget) {
      int[] starts = Representations.groupStarts(model);
      long blockDiag = 0;
      for (int g = 0; g + 1 < starts.length; g++) blockDiag += (long) (starts[g + 1] - starts[g]) * (starts[g + 1] - starts[g]);
      long kfac = 0;
      long widths = 0;
      if (model instanceof LayeredModel layered) {
        for (int l = 0; l < layered.layers(); l++) {
          long a = layered.layerInputs(l) + 1L;
          long s = layered.layerOutputs(l);
          kfac += a * a + s * s;
          widths += a + s;
        }
      }
      return new Sizes(options.rank(), options.tileSize(), blockedTaskBudget, blockDiag, kfac, options.maxDualRows(), widths);
    }
  }

  /**
   * The limits a plan must fit.
   *
   * @param driverBytes the driver's heap
   * @param taskBytes one task's share of an executor heap
   * @param collectBytes what one collect may bring to the driver ({@code spark.driver.maxResultSize})
   */
  public record Limits(long driverBytes, long taskBytes, long collectBytes) {}

  /** Bytes of one representation: on the driver, in a task (with the factor block), collected. */
  public record Need(long driverBytes, long taskBytes, long collectBytes) {}

  public MemoryPlan {
    if (n < 1 || rowsPerExample < 1 || blockRows < 1 || partitions < 1) {
      throw new IllegalArgumentException("a memory plan needs N, r, B and P >= 1, got N = " + n + ", r = " + rowsPerExample
          + ", B = " + blockRows + ", P = " + partitions);
    }
  }

  /** A plan with default sizes for a model without layers (rank 64, tiles 1024, 256 MiB band budget). */
  public MemoryPlan(int n, int rowsPerExample, int blockRows, int partitions) {
    this(n, rowsPerExample, blockRows, partitions, new Sizes(RepresentationOptions.DEFAULT_RANK, RepresentationOptions.DEFAULT_TILE_SIZE,
        256L << 20, (long) n * n, 0, RepresentationOptions.DEFAULT_MAX_DUAL_ROWS, 0));
  }

  /** {@code 8·B·r·N}: one block's factor rows in a task. */
  public long factorBlockBytes() {
    return 8L * blockRows * rowsPerExample * n;
  }

  /** Driver bytes of {@code kind}. */
  public long driverBytes(RepresentationKind kind) {
    return need(kind).driverBytes();
  }

  /** Task bytes of {@code kind} beyond the factor block (kfac forms none). */
  public long taskBytes(RepresentationKind kind) {
    return need(kind).taskBytes() - (kind == RepresentationKind.KFAC ? 0 : factorBlockBytes());
  }

  /** The bytes {@code kind} needs (formulas in the class comment). */
  public Need need(RepresentationKind kind) {
    long nn = (long) n * n;
    long f = factorBlockBytes();
    long two = Math.min(partitions, 2);
    return switch (kind) {
      case DENSE -> new Need(12 * nn, 8 * nn + f, two * 4L * n * (n + 1L));
      case BLOCKED -> {
        long column = 8L * Math.min(sizes.tileSize(), n) * n;
        long all = 4L * n * ((long) n + sizes.tileSize());
        yield new Need(16L * n, Math.max(column, Math.min(sizes.blockedTaskBudget(), all)) + f, 16L * n);
      }
      case IMPLICIT -> new Need(40L * n, 8L * n + f, 16L * n);
      case DIAG -> new Need(8L * n, 8L * n + f, 16L * n);
      case BLOCK_DIAG -> new Need(16 * sizes.blockDiagValues(), 8 * sizes.blockDiagValues() + f, 16 * sizes.blockDiagValues());
      // No factor block: per block the layer inputs and the back-propagated deltas, 8·B·r·Σ(in+1+out) at most.
      case KFAC -> new Need(16 * sizes.kfacValues(), 8 * sizes.kfacValues() + 8L * blockRows * rowsPerExample * sizes.kfacWidths(),
          16 * sizes.kfacValues());
      case EKFAC -> {
        long sv = sizes.kfacValues();
        yield new Need(24 * sv + 16L * n, 8 * (sv + n) + f, 16 * (sv + n));
      }
      case LOW_RANK -> {
        long kn = (long) Math.min(sizes.rank(), n) * n;
        yield new Need(24 * kn, 16 * kn + f, 16 * kn);
      }
      case NTK_DUAL -> {
        long r = sizes.maxDualRows();
        yield new Need(8 * r * n + 8 * r * r, f, 8 * r * n);
      }
    };
  }

  /** Null when {@code kind} fits {@code limits}, else what exceeds which limit. */
  public String excess(RepresentationKind kind, Limits limits) {
    Need need = need(kind);
    List<String> over = new ArrayList<>();
    if (need.driverBytes() > limits.driverBytes()) {
      over.add(bytes(need.driverBytes()) + " on the driver, whose heap is " + bytes(limits.driverBytes()));
    }
    if (need.taskBytes() > limits.taskBytes()) {
      over.add(bytes(need.taskBytes()) + " per task, whose share of an executor heap is " + bytes(limits.taskBytes()));
    }
    if (need.collectBytes() > limits.collectBytes()) {
      over.add(bytes(need.collectBytes()) + " collected at once, above spark.driver.maxResultSize = " + bytes(limits.collectBytes()));
    }
    return over.isEmpty() ? null : String.join("; ", over);
  }

  /** The representations that fit, in the order of {@link RepresentationKind}; kfac and ekfac only for layered models. */
  public List<RepresentationKind> fitting(Limits limits) {
    List<RepresentationKind> fit = new ArrayList<>();
    for (RepresentationKind k : RepresentationKind.values()) {
      if ((k == RepresentationKind.KFAC || k == RepresentationKind.EKFAC) && sizes.kfacValues() == 0) continue;
      if (excess(k, limits) == null) fit.add(k);
    }
    return fit;
  }

  /**
   * {@code auto} as the size rule alone: dense when {@code N ≤ denseLimit}; past it, blocked for a
   * metric to store and implicit (matrix-free) for one that is only multiplied by.
   */
  public static RepresentationKind auto(int n, int denseLimit, Purpose purpose) {
    if (n <= denseLimit) return RepresentationKind.DENSE;
    return purpose == Purpose.STORE ? RepresentationKind.BLOCKED : RepresentationKind.IMPLICIT;
  }

  /**
   * {@code auto} within the limits: the size rule's choice when it fits; otherwise blocked then
   * implicit (for a metric to store: blocked only, the one exact stored form past dense).
   *
   * @throws PullbackException (usage) when none of those fits, naming the need and the limits
   */
  public RepresentationKind auto(int denseLimit, Purpose purpose, Limits limits) {
    RepresentationKind bySize = auto(n, denseLimit, purpose);
    List<RepresentationKind> order = purpose == Purpose.STORE
        ? List.of(bySize, RepresentationKind.BLOCKED)
        : List.of(bySize, RepresentationKind.IMPLICIT);
    for (RepresentationKind k : order) if (excess(k, limits) == null) return k;
    throw refusal(bySize, limits);
  }

  /**
   * Checks an explicit choice.
   *
   * @throws PullbackException (usage) when it does not fit: the need, the limit, the representations that would fit
   */
  public void require(RepresentationKind kind, Limits limits) {
    if (excess(kind, limits) != null) throw refusal(kind, limits);
  }

  private PullbackException refusal(RepresentationKind kind, Limits limits) {
    List<RepresentationKind> fit = fitting(limits);
    return PullbackException.usage("{representation} " + kind.cliName() + " of N = " + n + " parameters does not fit: it needs "
        + excess(kind, limits) + ". "
        + (fit.isEmpty() ? "No representation fits; raise the driver or executor memory, or lower {blockRows}."
            : "Representations that fit: " + String.join(", ", fit.stream().map(RepresentationKind::cliName).toList())
                + " (or raise the memory: {driverMemory}, {executorMemory})."));
  }

  /** A byte count for people: {@code 13.4 GB}, {@code 512 MiB} style with one decimal. */
  static String bytes(long b) {
    if (b < 1024) return b + " B";
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = b;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** The plan's figures for a log line or a summary: driver and task bytes per representation. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("factor_block_bytes", factorBlockBytes());
    for (RepresentationKind k : RepresentationKind.values()) {
      if ((k == RepresentationKind.KFAC || k == RepresentationKind.EKFAC) && sizes.kfacValues() == 0) continue;
      String key = k.cliName().toLowerCase(Locale.ROOT).replace('-', '_');
      Need need = need(k);
      m.put(key + "_driver_bytes", need.driverBytes());
      m.put(key + "_task_bytes", need.taskBytes());
    }
    return m;
  }
}
