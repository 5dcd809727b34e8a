package io.pullback.ml;

import org.apache.spark.ml.util.Identifiable$;

/**
 * A stage's uid before its Scala base class is built. MLlib's base classes create their column
 * Params in their constructors, and a Param asks its parent for {@code uid()} then, before a Java
 * subclass has assigned any field: a constructor taking a uid hands it over through this
 * thread-local ({@link #pending}, read back by the first {@link #take}), the others get a random one.
 */
final class Uids {
  private static final ThreadLocal<String> PENDING = new ThreadLocal<>();

  private Uids() {}

  /** Makes {@code uid} the one the next {@link #take} on this thread returns; returns null (a constructor token). */
  static Void pending(String uid) {
    PENDING.set(uid);
    return null;
  }

  /** The pending uid (cleared), or a new random {@code prefix_…} uid. */
  static String take(String prefix) {
    String uid = PENDING.get();
    PENDING.remove();
    return uid != null ? uid : Identifiable$.MODULE$.randomUID(prefix);
  }
}
