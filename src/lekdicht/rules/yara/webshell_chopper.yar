/*
  lekdicht: China Chopper one-liners (JScript.NET eval of a request parameter), plain and obfuscated.
  Written by the lekdicht authors from the descriptions in ../shared/reference/detection-anchors.md (A8, B5).
  Meta used by lekdicht: verdict / severity = the tier when the file sits in a web-served folder;
  kind = webshell | heuristic | dump | config; anchor = the detection-anchors rule id (WS3, WS4, PS4, HX1, WS8).
*/

rule lekdicht_chopper_eval_request
{
    meta:
        description = "China Chopper one-liner: eval() of a request parameter, or JScript.NET eval with \"unsafe\""
        author = "lekdicht"
        reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        verdict = "exploited"
        severity = "critical"
        kind = "webshell"
        anchor = "WS3"
        cves = "CVE-2021-26855,CVE-2021-27065"
        attack = "T1505.003"

    strings:
        $eval_req = /eval\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase
        $eval_unsafe = /eval\s*\([^;]{1,300},\s*"unsafe"\s*\)/ nocase
        $asp_eval_req = /<%\s*(eval|execute(global)?)\s*\(?\s*Request\s*[\(\[]/ nocase

    condition:
        filesize < 1MB and any of them
}

rule lekdicht_chopper_jscript_obfuscated
{
    meta:
        description = "Obfuscated JScript.NET Chopper: two-argument eval of a variable fed from Request, with escaped or split strings"
        author = "lekdicht"
        reference = "https://github.com/tennc/webshell (aspx/abcd.aspx describes the pattern)"
        verdict = "exploited"
        severity = "critical"
        kind = "webshell"
        anchor = "WS3"
        cves = "CVE-2021-26855,CVE-2021-27065"
        attack = "T1505.003,T1027"

    strings:
        $page = /<%@\s*(Page\s)?[^>]{0,100}Language\s*=\s*"?\s*J(ava)?Script/ nocase
        $eval_two_args = /eval\s*\(\s*[A-Za-z_$][A-Za-z0-9_$.]{0,40}\s*,/ nocase
        $eval = /eval\s*\(/ nocase
        $req_assign = /=\s*Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase
        $hex_string = /"(\\x[0-9a-f]{2}|\\u00[0-9a-f]{2}){3,}"/ nocase
        $split_string = /"[a-z]{1,5}"\s*\+\s*"[a-z\\]{1,8}/ nocase
        $from_char_code = "String.fromCharCode" nocase

    condition:
        filesize < 1MB and $page and (
            ($eval_two_args and ($req_assign or $hex_string or $split_string or $from_char_code)) or
            ($eval and $req_assign and ($hex_string or $from_char_code))
        )
}
