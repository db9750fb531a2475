// TopKOrderTests.swift: the ranking `topk` uses on every executor, and the max8 / find_index8 steps built on it.

import KilnMachine
import Testing

@Test func topkRanksLargerFirstNaNFirstAndTiesByPosition() {
    let row: [Double] = [1, 5, .nan, 5, -.infinity, 0, -0.0, .nan]
    #expect(TopKOrder.top(row, k: 8) == [2, 7, 1, 3, 0, 5, 6, 4])
    #expect(TopKOrder.top(row, k: 3) == [2, 7, 1])
    #expect(TopKOrder.top([3, 1, 2], k: 5) == [0, 2, 1], "k past the row's length takes the whole row")
}

@Test func max8AndFindIndex8GiveTheTopPositions() {
    let row: [Double] = [4, 9, 4, 1, 9, 4, 7, 2, 0, 4]
    let values = TopKOrder.max8(row)
    #expect(values == [9, 9, 7, 4, 4, 4, 4, 2])
    // Duplicates of one value take its positions in ascending order: the stable top 8.
    #expect(TopKOrder.findIndex8(row, values) == TopKOrder.top(row, k: 8))
    #expect(TopKOrder.findIndex8(row, [9, 9, 9, 5, 4, 4, 4, 4]) == [1, 4, -1, -1, 0, 2, 5, 9])
    #expect(TopKOrder.max8([3, 1]) == [3, 1] + Array(repeating: -.infinity, count: 6))
    #expect(TopKOrder.findIndex8([.nan, 1, .nan], [.nan, .nan, 1]) == [0, 2, 1])
}
