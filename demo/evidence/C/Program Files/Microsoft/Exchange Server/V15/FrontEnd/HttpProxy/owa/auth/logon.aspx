<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<!-- SYNTHETIC demo stand-in for Exchange's own logon page -->
<html><head><title>Outlook</title><link rel="stylesheet" href="Current/themes/resources/logon.css"></head>
<body><form action="/owa/auth.owa" method="POST"><input name="username"><input name="password" type="password"></form></body></html>
