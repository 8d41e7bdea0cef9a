using FastChat.Cli;

// fastchat — the FastChat terminal client. See `fastchat --help`.
return await CliMain.RunAsync(args, Console.In, Console.Out);
