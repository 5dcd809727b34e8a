package io.pullback.metric.aggregate;

import dev.ludovic.netlib.blas.BLAS;
import io.pullback.linalg.Blas;

/**
 * The two products of one upper tile {@code G_IJ} (row-major {@code rows × cols}, I ≤ J) that make
 * up {@code G·v}: {@code G_IJ v_J} for row block I and, off the diagonal, {@code G_IJᵀ v_I} for row
 * block J. One {@code dgemv} each ({@code 2·rows·cols} flops). Shared by the distributed tiles
 * ({@code BlockedMetricOps}) and the in-memory ones, so both compute the same numbers.
 */
public final class TileProducts {
  private TileProducts() {}

  /** {@code G_IJ · x[xOffset .. xOffset + cols)}, length {@code rows}. */
  public static double[] rowBlock(double[] tile, int rows, int cols, double[] x, int xOffset) {
    BLAS blas = Blas.get();
    double[] y = new double[rows];
    // Row-major rows×cols tile = column-major cols×rows matrix A = G_IJᵀ (leading dimension cols).
    blas.dgemv("T", cols, rows, 1.0, tile, 0, cols, x, xOffset, 1, 0.0, y, 0, 1);
    return y;
  }

  /** {@code G_IJᵀ · x[xOffset .. xOffset + rows)}, length {@code cols}. */
  public static double[] columnBlock(double[] tile, int rows, int cols, double[] x, int xOffset) {
    BLAS blas = Blas.get();
    double[] y = new double[cols];
    blas.dgemv("N", cols, rows, 1.0, tile, 0, cols, x, xOffset, 1, 0.0, y, 0, 1);
    return y;
  }

  /**
   * Places an upper tile (row-major {@code rows × cols}, first global row {@code rowOffset}, column
   * {@code colOffset}) into a dense symmetric row-major N×N matrix, mirrored into the lower triangle.
   */
  public static void placeSymmetric(double[] tile, int rows, int cols, int rowOffset, int colOffset, double[] g, int n) {
    for (int a = 0; a < rows; a++) {
      for (int b = 0; b < cols; b++) {
        double x = tile[a * cols + b];
        g[(rowOffset + a) * n + colOffset + b] = x;
        g[(colOffset + b) * n + rowOffset + a] = x;
      }
    }
  }
}
