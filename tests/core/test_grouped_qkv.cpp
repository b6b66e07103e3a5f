// Issue 22 #2: Q/K/V with fewer key/value heads than query heads (grouped-query attention, as
// Llama's num_key_value_heads): a query head reads its KV head's K and V through a view, every
// mechanism gives what it gives on the expanded heads and on the naive double-precision formula.
#include <gtest/gtest.h>

#include "attnscope/eigen_backend.h"
#include "attnscope/mechanism_kind.h"
#include "attnscope/error.h"
#include "attnscope/rng.h"
#include "reference.h"

using namespace attnscope;

namespace {

/// H query heads over G key/value heads, head h → KV head h / (H / G).
Qkv groupedQkv(int n, int dk, int dv, int H, int G, std::uint64_t seed) {
  Rng rng(seed);
  Qkv qkv;
  for (int h = 0; h < H; ++h) qkv.q.push_back(rng.normalMatrix(n, dk));
  for (int g = 0; g < G; ++g) {
    qkv.k.push_back(rng.normalMatrix(n, dk));
    qkv.v.push_back(rng.normalMatrix(n, dv));
  }
  for (int h = 0; h < H; ++h) qkv.kvOf.push_back(h / (H / G));
  return qkv;
}

/// The same heads, each with its own copy of its K and V.
Qkv expanded(const Qkv& g) {
  Qkv out;
  for (int h = 0; h < g.numHeads(); ++h) out.addHead({g.head(h).Q, g.head(h).K, g.head(h).V});
  return out;
}

MatrixD toD(const MatrixF& m) { return m.cast<double>(); }

}  // namespace

TEST(GroupedQkv, HeadsAreViewsOfTheirKvHead) {
  const Qkv qkv = groupedQkv(19, 8, 5, 6, 2, ref::freshSeed());
  EXPECT_NO_THROW(qkv.validate());
  EXPECT_EQ(qkv.numHeads(), 6);
  EXPECT_EQ(qkv.numKvHeads(), 2);
  // Query heads 0..2 read KV head 0, 3..5 KV head 1: the very same matrices, not copies.
  for (int h = 0; h < 6; ++h) {
    EXPECT_EQ(&qkv.head(h).K, &qkv.k[static_cast<std::size_t>(h / 3)]) << h;
    EXPECT_EQ(&qkv.head(h).V, &qkv.v[static_cast<std::size_t>(h / 3)]) << h;
    EXPECT_EQ(&qkv.head(h).Q, &qkv.q[static_cast<std::size_t>(h)]) << h;
  }
  const std::vector<HeadQKV> views = qkv.heads();
  ASSERT_EQ(views.size(), 6u);
  EXPECT_EQ(views[1].K.data(), views[2].K.data());
  EXPECT_NE(views[2].K.data(), views[3].K.data());
}

TEST(GroupedQkv, EveryMechanismMatchesTheExpandedHeadsAndTheNaiveFormula) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const int n = 77, dk = 8, dv = 5;  // ragged: 77 tokens in 4 blocks
  const Qkv grouped = groupedQkv(n, dk, dv, 4, 2, seed);
  const Qkv full = expanded(grouped);
  EigenBackend be(2);
  for (bool causal : {false, true}) {
    const std::vector<MechanismSpec> specs{
        MechanismSpec::softmax(causal), MechanismSpec::linear({}, causal),
        MechanismSpec::mhla(BlockLayout::oneD(n, 4), MixingInit::Cos, {}, causal)};
    for (const MechanismSpec& spec : specs) {
      SCOPED_TRACE(spec.label());
      const std::vector<MatrixF> got = be.forward(spec, grouped, HeadSel::all());
      const std::vector<MatrixF> want = be.forward(spec, full, HeadSel::all());
      ASSERT_EQ(got.size(), 4u);
      for (int h = 0; h < 4; ++h) EXPECT_EQ(got[static_cast<std::size_t>(h)], want[static_cast<std::size_t>(h)]) << h;
      const std::vector<VectorD> rows = be.attentionRow(spec, grouped, HeadSel::all(), 40);
      ASSERT_EQ(rows.size(), 4u);
      if (spec.is(softmaxKind())) {
        // The naive double-precision formula on head h's own Q and its KV head's K and V.
        for (int h = 0; h < 4; ++h) {
          const int g = h / 2;
          const MatrixD A = ref::softmaxMap(toD(grouped.q[h]), toD(grouped.k[g]), 1.0, causal);
          EXPECT_LT(ref::relErr(toD(got[static_cast<std::size_t>(h)]), A * toD(grouped.v[g])), 1e-5) << h;
          EXPECT_LT((rows[static_cast<std::size_t>(h)] - A.row(40).transpose()).norm(), 1e-5) << h;
        }
      }
    }
  }
}

TEST(GroupedQkv, SubsetKeepsTheSharingAndTheNumbers) {
  const Qkv grouped = groupedQkv(33, 4, 4, 6, 3, ref::freshSeed());
  const Qkv pair = grouped.subset({0, 1});  // both read KV head 0: copied once
  EXPECT_EQ(pair.numHeads(), 2);
  EXPECT_EQ(pair.numKvHeads(), 1);
  EXPECT_EQ(&pair.head(0).K, &pair.head(1).K);
  const Qkv spread = grouped.subset({1, 4});  // KV heads 0 and 2
  EXPECT_EQ(spread.numKvHeads(), 2);
  EXPECT_TRUE(spread.kvOf.empty());  // one KV head each: the plain layout
  EXPECT_EQ(spread.head(1).K, grouped.head(4).K);
  EigenBackend be(1);
  const auto spec = MechanismSpec::softmax();
  EXPECT_EQ(be.forward(spec, spread, HeadSel::one(1))[0], be.forward(spec, grouped, HeadSel::one(4))[0]);
}

TEST(GroupedQkv, ABadKvMapIsAClearError) {
  Qkv qkv = groupedQkv(9, 4, 4, 4, 2, 1);
  qkv.kvOf[3] = 2;
  try {
    qkv.validate("layer 1");
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("query head 3 reads key/value head 2 of 2"), std::string::npos) << e.what();
  }
  qkv.kvOf.pop_back();
  EXPECT_THROW(qkv.validate(), InvalidArgument);  // 4 query heads, a map of 3
  qkv.kvOf.clear();
  EXPECT_THROW(qkv.validate(), InvalidArgument);  // no map needs one KV head per query head
  EigenBackend be(1);
  EXPECT_THROW(be.forward(MechanismSpec::softmax(), qkv, HeadSel::all()), InvalidArgument);
}
