package io.pullback.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The probe reads executor count and memory from the master URL it is given. */
class ScalingProbeTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "local-cluster[2,1,1762]; 2; 1762",
      "local-cluster[ 1 , 1 , 2074 ]; 1; 2074",
      "local[2]; 1; 1024",
      "spark://host:7077; 1; 1024"})
  void executorsAndMemoryComeFromTheMasterUrl(String master, int executors, int memoryMb) {
    assertThat(ScalingProbe.executorsIn(master)).isEqualTo(executors);
    assertThat(ScalingProbe.memoryMbIn(master)).isEqualTo(memoryMb);
  }
}
