/*
  lekdicht: webshells compiled by ASP.NET into App_Web_*.dll in "Temporary ASP.NET Files".
  Written by the lekdicht authors.
*/

rule lekdicht_compiled_app_web_webshell
{
    meta:
        description = "Small ASP.NET compiled page assembly (App_Web_*.dll) with webshell markers: JScript eval \"unsafe\", cmd/PowerShell process start, or request-driven file save"
        author = "lekdicht"
        reference = "../shared/reference/detection-anchors.md A8 (compiled App_Web_*.dll shells), B5 WS3"
        verdict = "exploited"
        severity = "critical"
        kind = "webshell"
        anchor = "WS3"
        cves = "CVE-2021-26855,CVE-2021-27065"
        attack = "T1505.003"

    strings:
        $aspnet1 = "App_Web_" ascii wide
        $aspnet2 = "System.Web.UI.Page" ascii
        $aspnet3 = "__BuildControlTree" ascii
        $request = "get_Request" ascii
        $jscript_eval = "JScriptEvaluate" ascii
        $unsafe = "unsafe" wide
        $psi = "ProcessStartInfo" ascii
        $cmd1 = "cmd.exe" wide nocase
        $cmd2 = "powershell" wide nocase
        $saveas = "SaveAs" ascii
        $files = "get_Files" ascii
        $mappath = "MapPath" ascii
        $b64 = "FromBase64String" ascii
        $asmload = "Load" ascii
        $asm = "System.Reflection" ascii

    condition:
        uint16(0) == 0x5A4D and filesize < 300KB and any of ($aspnet*) and $request and (
            ($jscript_eval and $unsafe) or
            ($psi and any of ($cmd*)) or
            ($saveas and $files and $mappath) or
            ($b64 and $asmload and $asm and $jscript_eval)
        )
}
