package io.pullback.linalg;

/**
 * Cache-blocked copies from row-major blocks of examples into the column-major layouts the
 * Jacobians and factor rows use. A plain loop reads the source with a stride of one row per element
 * and misses the cache on every read once a row is longer than a few cache lines (at D = 1000 it
 * costs as much as the Gram update of the same block); tiles of {@value #TILE}×{@value #TILE} keep the
 * source rows in L1.
 */
public final class Transpose {
  /** Tile side: 32×32 doubles = 8 KiB of source per tile. */
  static final int TILE = 32;

  private Transpose() {}

  /**
   * {@code dst[r·cols + c] = src[c·rows + r]}: a column-major {@code rows × cols} matrix copied
   * row-major. {@code O(rows·cols)}, tiled like {@link #rowToColumnMajor}.
   *
   * @param src column-major {@code rows × cols} (not modified)
   * @param dst (modified) length at least {@code rows·cols}
   */
  public static void columnToRowMajor(double[] src, int rows, int cols, double[] dst) {
    // The column-major rows × cols array is the row-major cols × rows one.
    rowToColumnMajor(src, cols, rows, dst, 0, cols, 1);
  }

  /**
   * {@code dst[dstOffset + c·ld + r·stride] = src[r·cols + c]} for {@code r < rows}, {@code c < cols}.
   *
   * @param src row-major {@code rows × cols} (not modified)
   * @param dst (modified) written only at the positions above
   * @param ld distance in {@code dst} between consecutive columns
   * @param stride distance in {@code dst} between consecutive rows of one column (1 for a plain column-major matrix)
   */
  public static void rowToColumnMajor(double[] src, int rows, int cols, double[] dst, int dstOffset, int ld, int stride) {
    for (int r0 = 0; r0 < rows; r0 += TILE) {
      int r1 = Math.min(rows, r0 + TILE);
      for (int c0 = 0; c0 < cols; c0 += TILE) {
        int c1 = Math.min(cols, c0 + TILE);
        for (int c = c0; c < c1; c++) {
          int d = dstOffset + c * ld + r0 * stride;
          for (int r = r0; r < r1; r++, d += stride) dst[d] = src[r * cols + c];
        }
      }
    }
  }
}
