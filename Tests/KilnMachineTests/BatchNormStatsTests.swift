// BatchNormStatsTests.swift: bn_stats / bn_aggr's one f32 algorithm (Docs/numerics.md, "bn_stats and bn_aggr").

import KilnMachine
import Testing

@Test func bnStatsSplitsEvenAndOddPositions() {
    // Even positions 1, 3, 5: mean 3, m2 4 + 0 + 4; odd positions 2, 4: mean 3, m2 1 + 1.
    #expect(BatchNormStats.stats([1, 2, 3, 4, 5]) == [3, 3, 8, 2, 3, 2])
    #expect(BatchNormStats.stats([7]) == [1, 7, 0, 0, 0, 0], "an empty odd group is all zeros")
}

@Test func bnAggrGivesThePopulationMeanAndVariance() {
    // numpy: x = [1, 2, 3, 4, 5]; x.mean() == 3, x.var() == 2.
    #expect(BatchNormStats.aggregate(BatchNormStats.stats([1, 2, 3, 4, 5])) == [3, 2])
    // Two chunks of different means: [0, 2] and [10, 12] -> mean 6, var (36 + 16 + 16 + 36) / 4 = 26.
    let chunks = BatchNormStats.stats([0, 2]) + BatchNormStats.stats([10, 12])
    #expect(BatchNormStats.aggregate(chunks) == [6, 26])
    #expect(BatchNormStats.aggregate([0, 5, 1, 0, 5, 1]) == [0, 0], "no elements: 0, not NaN")
    #expect(BatchNormStats.aggregate([.nan, 1, 1]) == [0, 0], "a NaN count is not > 0")
    #expect(BatchNormStats.aggregate([2, 4, 2, 9]) == [4, 1], "a trailing partial tuple is not read")
}

@Test func bnStatsRoundsEachStepToF32() {
    // Even positions 2^24 and 1: the f32 running sum 2^24 + 1 rounds (to even) to 2^24, so the mean is 2^23, where
    // the exact mean is 2^23 + 0.5 (an f32 too): the sum is rounded at each add, not once at the end.
    let stats = BatchNormStats.stats([16_777_216, 0, 1])
    #expect(stats[0] == 2 && stats[1] == 8_388_608)
}
