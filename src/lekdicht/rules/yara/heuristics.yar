/*
  lekdicht: keyword heuristics for server-side ASP.NET pages (WS4). Low confidence on their own; they
  point a reviewer at a file and never decide a verdict. Written by the lekdicht authors.
*/

rule lekdicht_heur_aspx_webshell_keywords
{
    meta:
        description = "ASP.NET server-side page with a keyword typical of webshells (eval, JScript page, base64 from request, process start, assembly load, file upload, \"unsafe\")"
        author = "lekdicht"
        reference = "../shared/reference/detection-anchors.md B5 WS4 (cert-lv keyword list)"
        verdict = "info"
        severity = "low"
        kind = "heuristic"
        anchor = "WS4"
        cves = ""
        attack = "T1505.003"

    strings:
        $asp1 = "<%@"
        $asp2 = /runat\s*=\s*"?server/ nocase
        $k_eval = /eval\s*\(/ nocase
        $k_jscript_page = /<%@[^>]{0,100}Language\s*=\s*"?\s*J(ava)?Script/ nocase
        $k_b64_request = /FromBase64String\s*\(\s*Request/ nocase
        $k_process = "ProcessStartInfo" nocase
        $k_process_start = /Process\s*\.\s*Start\s*\(/ nocase
        $k_assembly_load = /Assembly\s*\.\s*Load/ nocase
        $k_request_files = /Request\s*\.\s*Files/ nocase
        $k_unsafe = "\"unsafe\"" nocase
        $k_binary_read = /Request\s*\.\s*BinaryRead/ nocase
        $k_wscript = "WScript.Shell" nocase
        $k_cmd = "cmd.exe" nocase

    condition:
        filesize < 2MB and any of ($asp*) and any of ($k_*)
}
