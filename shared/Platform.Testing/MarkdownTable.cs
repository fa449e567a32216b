using System.Text;

namespace Platform.Testing;

/// <summary>A Markdown table padded so it also reads well as plain text in a terminal.</summary>
public sealed class MarkdownTable(int leftAlignedColumns, params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"Expected {headers.Length} cells, got {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
    }

    public override string ToString()
    {
        var widths = headers.Select((header, column) => _rows.Select(row => row[column].Length).Prepend(Math.Max(3, header.Length)).Max()).ToArray();
        var text = new StringBuilder();
        AppendRow(headers);
        text.Append('|');
        for (var column = 0; column < headers.Length; column++)
        {
            text.Append(' ')
                .Append(column < leftAlignedColumns ? new string('-', widths[column]) : new string('-', widths[column] - 1) + ":")
                .Append(" |");
        }

        text.Append('\n');
        foreach (var row in _rows)
        {
            AppendRow(row);
        }

        return text.ToString();

        void AppendRow(string[] cells)
        {
            text.Append('|');
            for (var column = 0; column < cells.Length; column++)
            {
                var cell = column < leftAlignedColumns ? cells[column].PadRight(widths[column]) : cells[column].PadLeft(widths[column]);
                text.Append(' ').Append(cell).Append(" |");
            }

            text.Append('\n');
        }
    }
}
