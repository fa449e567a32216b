using System.Text;

namespace Platform.Metrics.Tests;

public sealed class PrometheusTextWriterTests
{
    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(1.0, "1")]
    [InlineData(0.005, "0.005")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(1e21, "1E+21")]
    public void Values_are_written_invariant_and_shortest_round_trip(double value, string expected)
    {
        var text = PrometheusTextWriter.FormatDouble(value);

        Assert.Equal(expected, text);
        if (double.IsFinite(value))
        {
            Assert.Equal(value, Exposition.ParseValue(text));
        }
    }

    [Theory]
    [InlineData(@"a\b", @"a\\b")]
    [InlineData("say \"hi\"", "say \\\"hi\\\"")]
    [InlineData("line1\nline2", @"line1\nline2")]
    [InlineData("plain", "plain")]
    public void Label_values_escape_backslash_quote_and_newline(string value, string expected)
    {
        var builder = new StringBuilder();
        PrometheusTextWriter.AppendEscapedLabelValue(builder, value);
        Assert.Equal(expected, builder.ToString());
    }

    [Theory]
    [InlineData(@"C:\temp", @"C:\\temp")]
    [InlineData("two\nlines", @"two\nlines")]
    [InlineData("keeps \"quotes\"", "keeps \"quotes\"")]
    public void Help_text_escapes_backslash_and_newline_only(string help, string expected)
    {
        var builder = new StringBuilder();
        PrometheusTextWriter.AppendEscapedHelp(builder, help);
        Assert.Equal(expected, builder.ToString());
    }
}
