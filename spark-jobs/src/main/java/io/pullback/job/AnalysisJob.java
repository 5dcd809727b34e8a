package io.pullback.job;

import io.pullback.PullbackException;
import io.pullback.io.Json;
import io.pullback.io.Npy;
import io.pullback.linalg.StochasticDiagonal;
import io.pullback.linalg.StochasticTrace;
import io.pullback.metric.MetricKind;
import io.pullback.metric.representation.RepresentationKind;
import io.pullback.metric.representation.RepresentationOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code trace} and {@code diagonal} commands' work: the metric through {@link MetricRoute}
 * (auto: dense up to the dense limit, else implicit — never formed), then a stochastic estimate
 * from {@code --probes P} products {@code G·v} ({@link StochasticTrace}: Hutchinson, Hutch++, XTrace;
 * {@link StochasticDiagonal}: Hutchinson, XDiag; each product one data pass for implicit), or the
 * representation's own one-pass diagonal ({@code exact}). Probes are seeded by {@code --seed}, so
 * reruns with the same data and partitioning are bit-identical.
 *
 * <p>Writes {@code trace.json} with exactly {@code estimate}, {@code std_error}, {@code probes},
 * {@code estimator}, {@code passes} (products made) and {@code seed}; or {@code diagonal.npy},
 * {@code diagonal_std_error.npy} (stochastic estimators) and {@code diagonal.json} ({@code estimator},
 * {@code probes}, {@code passes}, {@code std_error} = {@code √Σ se_i²}, {@code max_std_error},
 * {@code seed}); and {@code manifest.json}. Costs: P products plus {@code O(N·P²)} flops and
 * {@code O(N·P)} bytes on the driver (see the estimators).
 */
public final class AnalysisJob {
  private AnalysisJob() {}

  /** Products when {@code --probes} is not given: 30 (a multiple of 2 and 3, so every estimator takes it). */
  public static final int DEFAULT_PROBES = 30;

  /**
   * One trace or diagonal estimate.
   *
   * @param representation null for auto
   * @param estimator hutchinson|hutchpp|xtrace (trace) or exact|hutchinson|xdiag (diagonal)
   * @param probes the product budget P (ignored by exact)
   */
  public record Config(InputConfig input, MetricKind metric, int samples, RepresentationKind representation, int denseLimit,
                       String estimator, int probes, RepresentationOptions options, String out) {
    Map<String, Object> toMap() {
      Map<String, Object> config = new LinkedHashMap<>(input.toMap());
      config.put("metric", metric.cliName());
      config.put("representation", representation == null ? "auto" : representation.cliName());
      config.put("estimator", estimator);
      config.put("probes", probes);
      config.put("out", out);
      return config;
    }

    MetricRoute.Route route() {
      return new MetricRoute.Route(input, metric, samples, representation, denseLimit, options, out);
    }
  }

  /** What the command prints. */
  public record Result(double estimate, double stdError, long passes) {}

  /** The trace estimator of a config, checked with its budget (exit 2 naming {@code --estimator} or {@code --probes}). */
  public static StochasticTrace.Method traceMethod(Config c) {
    StochasticTrace.Method m;
    try {
      m = StochasticTrace.Method.parse(c.estimator());
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("{estimator}: " + e.getMessage());
    }
    checkBudget(m, c.probes());
    return m;
  }

  /** The diagonal estimator of a config (null for exact), checked with its budget. */
  public static StochasticDiagonal.Method diagonalMethod(Config c) {
    switch (c.estimator()) {
      case "exact":
        return null;
      case "hutchinson":
        checkBudget(StochasticTrace.Method.HUTCHINSON, c.probes());
        return StochasticDiagonal.Method.HUTCHINSON;
      case "xdiag":
        checkBudget(StochasticTrace.Method.XTRACE, c.probes());
        return StochasticDiagonal.Method.XDIAG;
      default:
        throw PullbackException.usage("{estimator}: unknown diagonal estimator '" + c.estimator() + "'; valid: exact, hutchinson, xdiag");
    }
  }

  private static void checkBudget(StochasticTrace.Method m, int probes) {
    try {
      StochasticTrace.checkBudget(m, probes);
    } catch (IllegalArgumentException e) {
      throw PullbackException.usage("{probes}: " + e.getMessage());
    }
  }

  /** The trace estimate, published as {@code trace.json} (see the class comment). */
  public static Result trace(RunContext ctx, Config c) {
    StochasticTrace.Method method = traceMethod(c);
    return MetricRoute.withMetric(ctx, "trace", c.toMap(), c.route(), (m, staging) -> {
      AtomicLong products = new AtomicLong();
      StochasticTrace.Estimate e = StochasticTrace.estimate(method, m.products(products), m.model().numParams(), c.probes(), c.input().seed());
      FiniteResults.requireFinite(new double[] {e.estimate(), e.stdError()}, "trace estimate and its standard error", m.data());
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("estimate", e.estimate());
      json.put("std_error", e.stdError());
      json.put("probes", c.probes());
      json.put("estimator", method.cliName());
      json.put("passes", products.get());
      json.put("seed", c.input().seed());
      Json.writeJson(staging.resolve("trace.json"), json);
      return new Result(e.estimate(), e.stdError(), products.get());
    });
  }

  /** The diagonal estimate, published as {@code diagonal.npy} and {@code diagonal.json} (see the class comment). */
  public static Result diagonal(RunContext ctx, Config c) {
    StochasticDiagonal.Method method = diagonalMethod(c);
    return MetricRoute.withMetric(ctx, "diagonal", c.toMap(), c.route(), (m, staging) -> {
      AtomicLong products = new AtomicLong();
      int n = m.model().numParams();
      double[] diagonal;
      double[] se = null;
      long passes;
      if (method == null) {
        diagonal = m.g().diagonal();
        passes = m.kind() == RepresentationKind.IMPLICIT ? 1 : 0; // implicit: one data pass Σ R∘R; others hold it
      } else {
        StochasticDiagonal.Estimate e = StochasticDiagonal.estimate(method, m.products(products), n, c.probes(), c.input().seed());
        diagonal = e.diagonal();
        se = e.stdError();
        passes = products.get();
      }
      FiniteResults.requireFinite(diagonal, "diagonal entries", m.data());
      double norm = 0;
      double max = 0;
      if (se != null) {
        for (double s : se) {
          norm += s * s;
          max = Math.max(max, s);
        }
        Npy.writeVector(staging.resolve("diagonal_std_error.npy"), se);
      }
      Npy.writeVector(staging.resolve("diagonal.npy"), diagonal);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("estimator", c.estimator());
      json.put("probes", method == null ? 0 : c.probes());
      json.put("passes", passes);
      json.put("std_error", Math.sqrt(norm));
      json.put("max_std_error", max);
      json.put("seed", c.input().seed());
      Json.writeJson(staging.resolve("diagonal.json"), json);
      double sum = 0;
      for (double d : diagonal) sum += d;
      return new Result(sum, Math.sqrt(norm), passes);
    });
  }
}
