/*
  lekdicht: host leftovers and configuration weaknesses found in file content.
  Written by the lekdicht authors.
*/

rule lekdicht_lsass_minidump
{
    meta:
        description = "Windows minidump (MDMP) of the LSASS process: credential theft (HAFNIUM dumped lsass to C:\\root and Windows\\Temp)"
        author = "lekdicht"
        reference = "../shared/reference/detection-anchors.md B6 HX1"
        verdict = "suspicious"
        severity = "high"
        kind = "dump"
        anchor = "HX1"
        cves = ""
        attack = "T1003.001"

    strings:
        $lsass = "lsass.exe" ascii wide nocase
        $mod1 = "lsasrv.dll" ascii wide nocase
        $mod2 = "wdigest.dll" ascii wide nocase
        $mod3 = "kerberos.dll" ascii wide nocase
        $mod4 = "msv1_0.dll" ascii wide nocase

    condition:
        uint32(0) == 0x504D444D and ($lsass or 2 of ($mod*))
}

rule lekdicht_web_config_static_machinekey
{
    meta:
        description = "web.config with the static Exchange machineKey published for CVE-2020-0688 (ViewState deserialisation)"
        author = "lekdicht"
        reference = "../shared/reference/detection-anchors.md B5 WS8"
        verdict = "info"
        severity = "high"
        kind = "config"
        anchor = "WS8"
        cves = "CVE-2020-0688"
        attack = "T1190"

    strings:
        $key = "CB2721ABDAF8E9DC516D621D8B8BF13A2C9E8689A25303BF" ascii wide nocase
        $machine_key = "machineKey" ascii wide nocase

    condition:
        filesize < 2MB and $key and $machine_key
}
