// The Lawful extension: highlighting comes from the TextMate grammar
// (syntaxes/lawful.tmLanguage.json); everything else from the language server,
// `lawful lsp`, started over stdio with the configured command and arguments.
import * as vscode from 'vscode';
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';

const SECTION = 'lawful';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

/** The server's command line from the settings, `${workspaceFolder}` replaced. */
function serverCommand(): { command: string; args: string[]; cwd: string | undefined } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const expand = (value: string): string =>
    folder === undefined ? value : value.split('${workspaceFolder}').join(folder);
  const command = expand(config.get<string>('server.command', 'lawful').trim() || 'lawful');
  const args = config.get<string[]>('server.args', ['lsp']).map(expand);
  return { command, args, cwd: folder };
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const { command, args, cwd } = serverCommand();
  // No `transport` here: with TransportKind.stdio the client would add `--stdio`
  // to the arguments; without one it speaks over the process's stdin and stdout.
  const executable: Executable = { command, args, options: cwd === undefined ? {} : { cwd } };
  const serverOptions: ServerOptions = { run: executable, debug: executable };

  const watchers = ['**/*.law', '**/lawful.toml', '**/pyproject.toml'].map((glob) =>
    vscode.workspace.createFileSystemWatcher(glob),
  );
  context.subscriptions.push(...watchers);

  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'lawful' }],
    synchronize: { fileEvents: watchers },
    outputChannel: output,
  };
  return new LanguageClient('lawful', 'Lawful language server', serverOptions, clientOptions);
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const started = createClient(context);
  client = started;
  try {
    await started.start();
  } catch (error) {
    const { command, args } = serverCommand();
    const choice = await vscode.window.showErrorMessage(
      `Lawful: could not start the language server \`${[command, ...args].join(' ')}\`: ${String(
        error,
      )}. Install Lawful in the environment VS Code runs, or set lawful.server.command.`,
      'Open Settings',
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'lawful.server');
    }
  }
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined && running.needsStop()) {
    await running.stop();
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stopClient();
  await startClient(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('Lawful');
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand('lawful.restartServer', () => restart(context)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.server`)) {
        void restart(context);
      }
    }),
  );
  await startClient(context);
}

export function deactivate(): Thenable<void> | undefined {
  return stopClient();
}
