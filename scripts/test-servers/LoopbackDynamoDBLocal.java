// Compiled and run by scripts/test-servers.sh against the DynamoDBLocal.jar that npm installed.
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/** DynamoDB Local as its own main() runs it, but listening on 127.0.0.1 only. */
public final class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    for (Connector c : ((org.eclipse.jetty.server.Server) field.get(proxy)).getConnectors()) {
      ((ServerConnector) c).setHost("127.0.0.1");
    }
    proxy.start();
  }
}
