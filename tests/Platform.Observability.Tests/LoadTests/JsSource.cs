using System.Text;

namespace Platform.Observability.Tests.LoadTests;

/// <summary>A string or template literal of a JavaScript file; in templates each <c>${...}</c> reads as "1".</summary>
/// <param name="Value">The literal's text, escapes resolved, interpolations replaced by "1".</param>
/// <param name="Line">1-based line where the literal starts.</param>
/// <param name="Tag">The identifier right before a tagged template (e.g. "promql"), else null.</param>
public sealed record JsLiteral(string Value, int Line, string? Tag);

/// <summary>
/// Just enough JavaScript lexing for static checks on the k6 scripts: comments, string and template literals
/// (with nested interpolations) and regular-expression literals are told apart from code, so that checks on
/// code never match inside a string, and checks on strings see every string.
/// </summary>
public sealed class JsSource
{
    private const string RegexCanFollow = "(,=:[!&|?{};+-*%<>~^";

    private readonly string _text;
    private readonly StringBuilder _code = new();
    private readonly StringBuilder _header = new();
    private readonly List<JsLiteral> _literals = [];
    private readonly List<string> _comments = [];
    private int _position;
    private bool _headerOpen = true;

    private JsSource(string path, string text)
    {
        Path = path;
        _text = text;
        LexCode(stopAtBrace: false);
        Code = _code.ToString();
    }

    public string Path { get; }

    /// <summary>The file without comments; every literal is replaced by <c>"§n§"</c>, n its index in <see cref="Literals"/>.</summary>
    public string Code { get; }

    public IReadOnlyList<JsLiteral> Literals => _literals;

    public IReadOnlyList<string> Comments => _comments;

    /// <summary>The comments before the first line of code.</summary>
    public string HeaderComment => _header.ToString();

    public static JsSource Load(string path) => new(path, File.ReadAllText(path));

    public static JsSource Parse(string text) => new("(inline)", text);

    /// <summary>The literal behind a <c>"§n§"</c> placeholder of <see cref="Code"/>.</summary>
    public JsLiteral LiteralAt(string placeholderIndex) => _literals[int.Parse(placeholderIndex, System.Globalization.CultureInfo.InvariantCulture)];

    private void LexCode(bool stopAtBrace)
    {
        var depth = 0;
        while (_position < _text.Length)
        {
            var c = _text[_position];
            var next = _position + 1 < _text.Length ? _text[_position + 1] : '\0';
            if (c == '/' && next == '/')
            {
                var end = _text.IndexOf('\n', _position);
                AddComment(_text[_position..(end < 0 ? _text.Length : end)]);
                _position = end < 0 ? _text.Length : end;
            }
            else if (c == '/' && next == '*')
            {
                var end = _text.IndexOf("*/", _position + 2, StringComparison.Ordinal);
                if (end < 0) throw new FormatException($"{Path}: unterminated comment");
                AddComment(_text[_position..(end + 2)]);
                _position = end + 2;
            }
            else if (c is '\'' or '"')
            {
                AddLiteral(ReadString(c), LineAt(_position), tag: null);
            }
            else if (c == '`')
            {
                var tag = PrecedingIdentifier();
                var line = LineAt(_position);
                AddLiteral(ReadTemplate(), line, tag);
            }
            else if (c == '/' && RegexMayStartHere())
            {
                SkipRegex();
                Emit("/re/");
            }
            else if (stopAtBrace && c == '}' && depth == 0)
            {
                _position++;
                return;
            }
            else
            {
                if (stopAtBrace && c == '{') depth++;
                if (stopAtBrace && c == '}') depth--;
                Emit(c.ToString());
                _position++;
            }
        }
        if (stopAtBrace) throw new FormatException($"{Path}: unterminated ${{...}} in a template literal");
    }

    private void Emit(string code)
    {
        if (_headerOpen && !string.IsNullOrWhiteSpace(code)) _headerOpen = false;
        _code.Append(code);
    }

    private void AddComment(string comment)
    {
        _comments.Add(comment);
        if (_headerOpen) _header.Append(comment).Append('\n');
    }

    private void AddLiteral(string value, int line, string? tag)
    {
        Emit($"\"§{_literals.Count}§\"");
        _literals.Add(new JsLiteral(value, line, tag));
    }

    private string ReadString(char quote)
    {
        var value = new StringBuilder();
        _position++;
        while (_position < _text.Length && _text[_position] != quote)
        {
            if (_text[_position] == '\n') throw new FormatException($"{Path}:{LineAt(_position)}: unterminated string");
            value.Append(_text[_position] == '\\' ? Escape() : _text[_position++]);
        }
        _position++;
        return value.ToString();
    }

    private string ReadTemplate()
    {
        var value = new StringBuilder();
        _position++;
        while (_position < _text.Length && _text[_position] != '`')
        {
            if (_text[_position] == '\\')
            {
                value.Append(Escape());
            }
            else if (_text[_position] == '$' && _position + 1 < _text.Length && _text[_position + 1] == '{')
            {
                // The expression is code of its own (it may hold literals); the template's value reads "1".
                _position += 2;
                Emit("(");
                LexCode(stopAtBrace: true);
                Emit(")");
                value.Append('1');
            }
            else
            {
                value.Append(_text[_position++]);
            }
        }
        _position++;
        return value.ToString();
    }

    private char Escape()
    {
        var escaped = _text[_position + 1];
        _position += 2;
        return escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => escaped };
    }

    private bool RegexMayStartHere()
    {
        var code = _code.ToString().TrimEnd();
        if (code.Length == 0) return true;
        if (RegexCanFollow.Contains(code[^1], StringComparison.Ordinal)) return true;
        return code.EndsWith("return", StringComparison.Ordinal) || code.EndsWith("typeof", StringComparison.Ordinal);
    }

    private void SkipRegex()
    {
        var inClass = false;
        _position++;
        while (_position < _text.Length)
        {
            var c = _text[_position];
            if (c == '\\') { _position += 2; continue; }
            if (c == '\n') throw new FormatException($"{Path}:{LineAt(_position)}: unterminated regular expression");
            if (c == '[') inClass = true;
            else if (c == ']') inClass = false;
            else if (c == '/' && !inClass) break;
            _position++;
        }
        _position++;
        while (_position < _text.Length && char.IsAsciiLetter(_text[_position])) _position++;
    }

    private string? PrecedingIdentifier()
    {
        var code = _code.ToString().TrimEnd();
        var start = code.Length;
        while (start > 0 && (char.IsAsciiLetterOrDigit(code[start - 1]) || code[start - 1] is '_' or '$')) start--;
        return start < code.Length ? code[start..] : null;
    }

    private int LineAt(int position) => 1 + _text.AsSpan(0, position).Count('\n');
}
