#include "server/common/identifiers.h"

#include "gtest/gtest.h"

namespace ketenhub {
namespace {

TEST(CanonicalBsnTest, AcceptsNineDigitsPassingElevenProef) {
  EXPECT_EQ(CanonicalBsn("999990019"), "999990019");
  EXPECT_EQ(CanonicalBsn("111222333"), "111222333");
}

TEST(CanonicalBsnTest, RejectsFailedElevenProef) {
  EXPECT_FALSE(CanonicalBsn("999990018"));
  EXPECT_FALSE(CanonicalBsn("123456789"));
}

TEST(CanonicalBsnTest, RejectsAllZeros) {
  EXPECT_FALSE(CanonicalBsn("000000000"));
  EXPECT_FALSE(CanonicalBsn("00000000"));
}

TEST(CanonicalBsnTest, ReadsEightDigitsWithLeadingZero) {
  EXPECT_EQ(CanonicalBsn("12345672"), "012345672");
  EXPECT_EQ(CanonicalBsn("012345672"), "012345672");
  EXPECT_FALSE(CanonicalBsn("12345673"));
}

TEST(CanonicalBsnTest, RejectsWrongLengthAndNonDigits) {
  EXPECT_FALSE(CanonicalBsn(""));
  EXPECT_FALSE(CanonicalBsn("1234567"));
  EXPECT_FALSE(CanonicalBsn("9999900190"));
  EXPECT_FALSE(CanonicalBsn("99999001a"));
  EXPECT_FALSE(CanonicalBsn(" 99999001"));
}

TEST(OinTest, AcceptsTwentyDigitsOnly) {
  EXPECT_TRUE(IsWellFormedOin("00000099000000000001"));
  EXPECT_FALSE(IsWellFormedOin("0000009900000000001"));
  EXPECT_FALSE(IsWellFormedOin("000000990000000000011"));
  EXPECT_FALSE(IsWellFormedOin("0000009900000000000x"));
}

TEST(MunicipalityCodeTest, AcceptsCbsCodes) {
  EXPECT_TRUE(IsMunicipalityCode("GM0402"));
  EXPECT_TRUE(IsMunicipalityCode("GM1942"));
  EXPECT_FALSE(IsMunicipalityCode("gm0402"));
  EXPECT_FALSE(IsMunicipalityCode("GM402"));
  EXPECT_FALSE(IsMunicipalityCode("0402"));
  EXPECT_FALSE(IsMunicipalityCode("GM04021"));
}

}  // namespace
}  // namespace ketenhub
