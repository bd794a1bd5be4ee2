/*
  lekdicht: ASP.NET webshells in C# and VB: uploaders, command runners, PowerShell runners (Antak-like),
  reflective loaders and security-product checkers. Written by the lekdicht authors.
*/

rule lekdicht_aspx_upload_saveas_request
{
    meta:
        description = "ASP.NET uploader: Request.Files[n].SaveAs to a path taken from the request"
        author = "lekdicht"
        reference = "../shared/reference/detection-anchors.md A8 (Request.Files[0].SaveAs(Server.MapPath()"
        verdict = "exploited"
        severity = "critical"
        kind = "webshell"
        anchor = "WS3"
        cves = ""
        attack = "T1505.003,T1105"

    strings:
        $saveas_req = /Request\s*\.\s*Files\s*[\[\(]\s*\d+\s*[\]\)]\s*\.\s*SaveAs\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?Request/ nocase
        $mappath_req = /\.\s*SaveAs\s*\(\s*Server\s*\.\s*MapPath\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase
        $write_req = /File\s*\.\s*WriteAll(Bytes|Text)\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase

    condition:
        filesize < 1MB and any of them
}

rule lekdicht_aspx_command_exec
{
    meta:
        description = "ASP.NET page that starts cmd.exe or PowerShell and returns its output"
        author = "lekdicht"
        reference = "../shared/reference/detection-anchors.md B5 WS3/WS4 (ProcessStartInfo)"
        verdict = "exploited"
        severity = "critical"
        kind = "webshell"
        anchor = "WS3"
        cves = ""
        attack = "T1505.003,T1059.003"

    strings:
        $asp1 = "<%@"
        $asp2 = /runat\s*=\s*"?server/ nocase
        $psi = "ProcessStartInfo" nocase
        $start = /Process\s*\.\s*Start\s*\(/ nocase
        $cmd1 = "cmd.exe" nocase
        $cmd2 = "cmd /c" nocase
        $cmd3 = "powershell" nocase
        $out = "RedirectStandardOutput" nocase
        $req = /Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase

    condition:
        filesize < 1MB and any of ($asp*) and ($psi or $start) and any of ($cmd*) and ($out or $req)
}

rule lekdicht_aspx_powershell_runner
{
    meta:
        description = "Antak-like ASP.NET PowerShell runner (powershell.exe with bypass/encoded arguments, or an in-process runspace)"
        author = "lekdicht"
        reference = "https://github.com/samratashok/nishang (Antak-WebShell)"
        verdict = "exploited"
        severity = "critical"
        kind = "webshell"
        anchor = "WS3"
        cves = ""
        attack = "T1505.003,T1059.001"

    strings:
        $asp1 = "<%@"
        $asp2 = /runat\s*=\s*"?server/ nocase
        $ps_exe = "powershell.exe" nocase
        $ps_sma = "System.Management.Automation" nocase
        $rs1 = /RunspaceFactory\s*\.\s*CreateRunspace/ nocase
        $rs2 = /\.\s*AddScript\s*\(/ nocase
        $arg1 = /-(executionpolicy|exec|ep)\s+bypass/ nocase
        $arg2 = /\s-(encodedcommand|enc)\s/ nocase
        $arg3 = "-noninteractive" nocase
        $psi = "ProcessStartInfo" nocase

    condition:
        filesize < 1MB and any of ($asp*) and (
            ($ps_exe and $psi and any of ($arg*)) or
            ($ps_sma and any of ($rs*))
        )
}

rule lekdicht_aspx_reflective_loader
{
    meta:
        description = "ASP.NET page that loads an assembly or XSLT sent in the request (Behinder/Godzilla/DropHell style)"
        author = "lekdicht"
        reference = "../shared/reference/detection-anchors.md A8 (DropHell LoadXml(FromBase64String(Request)"
        verdict = "exploited"
        severity = "critical"
        kind = "webshell"
        anchor = "WS3"
        cves = ""
        attack = "T1505.003,T1620"

    strings:
        $asp1 = "<%@"
        $asp2 = /runat\s*=\s*"?server/ nocase
        $load = /Assembly\s*\.\s*Load\s*\(/ nocase
        $b64req = /FromBase64String\s*\(\s*Request/ nocase
        $binread = /Request\s*\.\s*BinaryRead\s*\(/ nocase
        $instream = /Request\s*\.\s*InputStream/ nocase
        $form = /Request\s*\.\s*Form\s*[\[\(]/ nocase
        $decrypt = "CreateDecryptor" nocase
        $invoke = /\.\s*(Invoke|CreateInstance)\s*\(/ nocase
        $xslt = /LoadXml\s*\([^;]{0,200}FromBase64String\s*\(\s*Request/ nocase

    condition:
        filesize < 1MB and any of ($asp*) and (
            ($load and ($b64req or $binread or $instream or $form or $decrypt)) or
            ($b64req and $invoke) or
            $xslt
        )
}

rule lekdicht_aspx_security_product_checker
{
    meta:
        description = "ASP.NET page that checks for security products on the server (HAFNIUM SecChecker-like)"
        author = "lekdicht"
        reference = "../shared/reference/detection-anchors.md A8 (APT_WEBSHELL_HAFNIUM_SecChecker_Mar21_1, described)"
        verdict = "suspicious"
        severity = "high"
        kind = "webshell"
        anchor = "WS3"
        cves = ""
        attack = "T1505.003,T1518.001"

    strings:
        $asp1 = "<%@"
        $asp2 = /runat\s*=\s*"?server/ nocase
        $av1 = "CSFalcon" nocase
        $av2 = "CrowdStrike" nocase
        $av3 = "FireEye" nocase
        $av4 = "xagt" nocase
        $av5 = "Carbon Black" nocase
        $av6 = "SentinelOne" nocase
        $av7 = "Cylance" nocase
        $av8 = "Sophos" nocase
        $chk1 = /(Directory|File)\s*\.\s*Exists\s*\(/ nocase
        $chk2 = /Process\s*\.\s*GetProcesses/ nocase
        $chk3 = "ServiceController" nocase

    condition:
        filesize < 500KB and any of ($asp*) and 2 of ($av*) and any of ($chk*)
}
