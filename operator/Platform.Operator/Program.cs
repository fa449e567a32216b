using Platform.Operator.Hosting;

return await OperatorCommand.Create(OperatorHost.RunAsync).Parse(args).InvokeAsync();
