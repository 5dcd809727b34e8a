package io.pullback;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of {@code docs/architecture.md}, enforced on the compiled library (tests left out):
 * a package may use only its own layer and the layers below, {@code distributed} and {@code optim}
 * stand side by side without using each other, and no two packages use each other (no cycles).
 */
class LayersTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.pullback");
  }

  @Test
  void noPackageUsesALayerAboveIt() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("0 root").definedBy("io.pullback")
        .layer("1 linalg, data, io").definedBy("io.pullback.linalg", "io.pullback.data", "io.pullback.io")
        .layer("2 model, loss").definedBy("io.pullback.model", "io.pullback.loss")
        .layer("3 metric").definedBy("io.pullback.metric", "io.pullback.metric.aggregate")
        .layer("4 representation").definedBy("io.pullback.metric.representation")
        .layer("5 distributed").definedBy("io.pullback.distributed")
        .layer("5 optim").definedBy("io.pullback.optim")
        .layer("6 job, ml").definedBy("io.pullback.job", "io.pullback.ml")
        .layer("7 cli, experiment, report").definedBy("io.pullback.cli", "io.pullback.experiment", "io.pullback.report")
        .whereLayer("0 root").mayOnlyAccessLayers("0 root")
        .whereLayer("1 linalg, data, io").mayOnlyAccessLayers("0 root", "1 linalg, data, io")
        .whereLayer("2 model, loss").mayOnlyAccessLayers("0 root", "1 linalg, data, io", "2 model, loss")
        .whereLayer("3 metric").mayOnlyAccessLayers("0 root", "1 linalg, data, io", "2 model, loss", "3 metric")
        .whereLayer("4 representation").mayOnlyAccessLayers("0 root", "1 linalg, data, io", "2 model, loss", "3 metric",
            "4 representation")
        .whereLayer("5 distributed").mayOnlyAccessLayers("0 root", "1 linalg, data, io", "2 model, loss", "3 metric",
            "4 representation", "5 distributed")
        .whereLayer("5 optim").mayOnlyAccessLayers("0 root", "1 linalg, data, io", "2 model, loss", "3 metric",
            "4 representation", "5 optim")
        .whereLayer("6 job, ml").mayOnlyAccessLayers("0 root", "1 linalg, data, io", "2 model, loss", "3 metric",
            "4 representation", "5 distributed", "5 optim", "6 job, ml")
        .whereLayer("7 cli, experiment, report").mayOnlyAccessLayers("0 root", "1 linalg, data, io", "2 model, loss",
            "3 metric", "4 representation", "5 distributed", "5 optim", "6 job, ml", "7 cli, experiment, report")
        .check(classes);
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.pullback.(**)").should().beFreeOfCycles().check(classes);
  }
}
